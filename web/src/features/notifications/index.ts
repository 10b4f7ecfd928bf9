export { InboxLink } from './components/InboxLink'
