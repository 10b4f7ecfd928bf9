import { screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { renderWithProviders } from '@/testing/render'
import type { Category } from '../api/catalog'
import { CategoryTree } from './CategoryTree'

const category = (id: string, name: string, parent_id: string | null = null) =>
  ({ id, name, slug: id, parent_id, description: '', created_at: '', updated_at: '' }) as Category

describe('CategoryTree', () => {
  it('nests subcategories under their parent and marks the chosen one', () => {
    renderWithProviders(
      <CategoryTree
        categories={[category('tools', 'Tools'), category('coffee', 'Coffee'), category('beans', 'Beans', 'coffee')]}
      />,
      { url: '/?category=beans&search=x&page=2' },
    )
    const tree = screen.getByRole('navigation', { name: 'Categories' })
    const coffee = within(tree).getByRole('link', { name: 'Coffee' }).closest('li')!
    expect(within(coffee).getByRole('link', { name: 'Beans' })).toHaveAttribute('aria-current', 'page')
    expect(within(tree).getByRole('link', { name: 'Tools' })).toHaveAttribute('href', '/?category=tools&search=x')
    expect(within(tree).getByRole('link', { name: 'All products' })).toHaveAttribute('href', '/?search=x')
    const names = within(tree)
      .getAllByRole('link')
      .map((link) => link.textContent)
    expect(names).toEqual(['All products', 'Coffee', 'Beans', 'Tools'])
  })
})
