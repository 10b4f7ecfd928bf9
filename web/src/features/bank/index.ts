export { bankKeys, useAccount, useAccounts } from './api/bank'
export type { Account } from './api/bank'
export { accountLabel } from './components/accountLabel'
