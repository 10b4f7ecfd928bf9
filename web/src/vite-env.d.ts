/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The gateway's origin when it is not this page's (`npm run dev`), e.g. http://127.0.0.1:8080. */
  readonly VITE_API_BASE_URL?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
