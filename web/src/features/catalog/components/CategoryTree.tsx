import { Link, useSearchParams } from 'react-router'
import type { Category } from '../api/catalog'

interface Node {
  category: Category
  children: Node[]
}

/** The categories as a tree (by `parent_id`), each level sorted by name. */
export function categoryTree(categories: Category[]): Node[] {
  const nodes = new Map(categories.map((category) => [category.id, { category, children: [] as Node[] }]))
  const roots: Node[] = []
  for (const node of nodes.values()) {
    const parent = node.category.parent_id ? nodes.get(node.category.parent_id) : undefined
    ;(parent ? parent.children : roots).push(node)
  }
  const sort = (level: Node[]) => {
    level.sort((a, b) => a.category.name.localeCompare(b.category.name))
    level.forEach((node) => sort(node.children))
    return level
  }
  return sort(roots)
}

export function CategoryTree({ categories }: { categories: Category[] }) {
  const [params] = useSearchParams()
  const selected = params.get('category')

  const hrefFor = (id: string | null) => {
    const next = new URLSearchParams(params)
    next.delete('page')
    if (id) next.set('category', id)
    else next.delete('category')
    return `?${next}`
  }

  const level = (nodes: Node[]) => (
    <ul>
      {nodes.map(({ category, children }) => (
        <li key={category.id}>
          <Link to={hrefFor(category.id)} aria-current={selected === category.id ? 'page' : undefined}>
            {category.name}
          </Link>
          {children.length > 0 && level(children)}
        </li>
      ))}
    </ul>
  )

  return (
    <nav className="category-tree" aria-label="Categories">
      <h2>Categories</h2>
      <ul>
        <li>
          <Link to={hrefFor(null)} aria-current={selected ? undefined : 'page'}>
            All products
          </Link>
        </li>
      </ul>
      {level(categoryTree(categories))}
    </nav>
  )
}
