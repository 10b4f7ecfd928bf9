export { SignOutButton } from './components/SignOutButton'
export { VerifyBanner } from './components/VerifyBanner'
