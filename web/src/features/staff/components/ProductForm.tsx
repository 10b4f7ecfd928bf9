import { useState, type FormEvent } from 'react'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { CURRENCIES, useCategories, type Product } from '@/features/catalog'
import { parseMoney, toAmountText } from '@/lib/money'
import { useSaveProduct, type ProductInput } from '../api/staff'

const FIELDS = ['name', 'sku', 'price', 'currency', 'stock', 'description', 'category_id', 'image_url', 'is_active']

interface ProductFormProps {
  /** The product to change; a new one without it. */
  product?: Product
  onSaved: (product: Product) => void
}

export function ProductForm({ product, onSaved }: ProductFormProps) {
  const save = useSaveProduct(product?.id)
  const categories = useCategories()
  const [priceError, setPriceError] = useState<string[]>()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const text = (name: string) => String(form.get(name) ?? '').trim()
    const currency = text('currency') as ProductInput['currency']
    const price = parseMoney(text('price'), currency)
    if (price === null) {
      setPriceError([`Enter a price in ${currency}, such as 12.50.`])
      return
    }
    setPriceError(undefined)
    save.mutate(
      {
        name: text('name'),
        sku: text('sku'),
        price,
        currency,
        stock: Number(text('stock') || 0),
        description: text('description'),
        category_id: text('category_id') || null,
        image_url: text('image_url'),
        is_active: form.get('is_active') === 'on',
      },
      { onSuccess: onSaved },
    )
  }

  const error = (name: string) => fieldErrors(save.error, name)
  return (
    <form className="panel" onSubmit={submit} aria-label={product ? `Edit ${product.name}` : 'New product'}>
      <Field label="Name" errors={error('name')}>
        {(control) => <input {...control} name="name" defaultValue={product?.name} maxLength={200} required />}
      </Field>
      <Field label="SKU" hint="Letters, digits, dots, dashes and underscores." errors={error('sku')}>
        {(control) => (
          <input {...control} name="sku" defaultValue={product?.sku} maxLength={64} required spellCheck={false} />
        )}
      </Field>
      <div className="field-row">
        <Field label="Price" errors={priceError ?? error('price')}>
          {(control) => (
            <input
              {...control}
              name="price"
              inputMode="decimal"
              defaultValue={product ? toAmountText(product.price, product.currency) : ''}
              required
            />
          )}
        </Field>
        <Field label="Currency" errors={error('currency')}>
          {(control) => (
            <select {...control} name="currency" defaultValue={product?.currency ?? 'EUR'}>
              {CURRENCIES.map((currency) => (
                <option key={currency}>{currency}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Stock" errors={error('stock')}>
          {(control) => (
            <input {...control} name="stock" type="number" min={0} step={1} defaultValue={product?.stock ?? 0} />
          )}
        </Field>
      </div>
      <Field label="Category" errors={error('category_id')}>
        {(control) => (
          <select {...control} name="category_id" defaultValue={product?.category?.id ?? ''}>
            <option value="">None</option>
            {categories.data?.map((category) => (
              <option key={category.id} value={category.id}>
                {category.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Description" errors={error('description')}>
        {(control) => (
          <textarea {...control} name="description" rows={4} defaultValue={product?.description} maxLength={10000} />
        )}
      </Field>
      <Field label="Image URL (optional)" errors={error('image_url')}>
        {(control) => <input {...control} name="image_url" type="url" defaultValue={product?.image_url} />}
      </Field>
      <label className="checkbox">
        <input type="checkbox" name="is_active" defaultChecked={product?.is_active ?? true} /> On sale
      </label>
      <ErrorNotice error={save.error} fieldNames={FIELDS} />
      <SubmitButton pending={save.isPending} pendingLabel="Saving…">
        {product ? 'Save changes' : 'Create product'}
      </SubmitButton>
    </form>
  )
}
