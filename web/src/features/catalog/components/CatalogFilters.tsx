import type { FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import { Field } from '@/components/Field'
import { CURRENCIES } from '../api/catalog'
import { filterParams, ORDERINGS, priceText } from '../filters'

/** Search and filters; they live in the URL, so a filtered catalog can be bookmarked and shared. */
export function CatalogFilters() {
  const [params, setParams] = useSearchParams()
  const currency = params.get('currency') ?? undefined

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setParams(filterParams(new FormData(event.currentTarget), params))
  }

  return (
    // Keyed by the URL, so that the fields show what is applied after a back or a category link.
    <form key={params.toString()} className="filters" role="search" aria-label="Products" onSubmit={submit}>
      <Field label="Search">
        {(control) => (
          <input {...control} type="search" name="search" defaultValue={params.get('search') ?? ''} maxLength={100} />
        )}
      </Field>
      <Field label="Min price">
        {(control) => (
          <input
            {...control}
            name="min_price"
            inputMode="decimal"
            defaultValue={priceText(params.get('min_price') ?? undefined, currency)}
          />
        )}
      </Field>
      <Field label="Max price">
        {(control) => (
          <input
            {...control}
            name="max_price"
            inputMode="decimal"
            defaultValue={priceText(params.get('max_price') ?? undefined, currency)}
          />
        )}
      </Field>
      <Field label="Currency">
        {(control) => (
          <select {...control} name="currency" defaultValue={currency ?? ''}>
            <option value="">Any</option>
            {CURRENCIES.map((code) => (
              <option key={code}>{code}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Sort by">
        {(control) => (
          <select {...control} name="ordering" defaultValue={params.get('ordering') ?? 'newest'}>
            {ORDERINGS.map(({ value, label }) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <label className="checkbox">
        <input type="checkbox" name="in_stock" defaultChecked={params.get('in_stock') === 'true'} /> In stock only
      </label>
      <button type="submit" className="button">
        Search
      </button>
    </form>
  )
}
