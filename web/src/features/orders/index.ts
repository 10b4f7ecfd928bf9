export { usePlaceOrder } from './api/orders'
