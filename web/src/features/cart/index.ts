export { AddToCart } from './components/AddToCart'
export { CartLink } from './components/CartLink'
