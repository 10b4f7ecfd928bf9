// Every service's OpenAPI document in one Swagger UI; pick one in the top bar.
// "Authorize" takes an access token from POST /auth/api/token/; "Try it out" goes through this gateway.
window.ui = SwaggerUIBundle({
  urls: [
    { url: "/auth/api/schema/", name: "auth: register, sign in, tokens, profile" },
    { url: "/bank/api/schema/", name: "bank: accounts, transfers, deposits" },
    { url: "/catalog/api/schema/", name: "catalog: categories and products" },
    { url: "/orders/api/schema/", name: "orders: place, pay, cancel" },
    { url: "/payments/api/schema/", name: "payments: payments and refunds" },
    { url: "/notifications/api/schema/", name: "notifications: your inbox" },
  ],
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  // The layout's validator badge would send each document's address to validator.swagger.io.
  validatorUrl: null,
});
