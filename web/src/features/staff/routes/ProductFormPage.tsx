import { useNavigate, useParams } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'
import { useProduct, type Product } from '@/features/catalog'
import { ProductForm } from '../components/ProductForm'

export default function ProductFormPage() {
  const { productId } = useParams()
  const navigate = useNavigate()
  const saved = (product: Product) => void navigate(paths.product(product.id))
  if (!productId) {
    return (
      <>
        <PageTitle>New product</PageTitle>
        <ProductForm onSaved={saved} />
      </>
    )
  }
  return <EditProduct id={productId} onSaved={saved} />
}

function EditProduct({ id, onSaved }: { id: string; onSaved: (product: Product) => void }) {
  const product = useProduct(id)
  if (product.isPending) return <Loading />
  if (product.isError) return <ErrorNotice error={product.error} />
  return (
    <>
      <PageTitle>{`Edit ${product.data.name}`}</PageTitle>
      <ProductForm product={product.data} onSaved={onSaved} />
    </>
  )
}
