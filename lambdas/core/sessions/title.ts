/** The seed's title rule, `(text[:20] + '...')[:20]`, on code points as Python slices. */
export const sessionTitle = (firstMessage: string): string =>
  Array.from(`${Array.from(firstMessage).slice(0, 20).join('')}...`)
    .slice(0, 20)
    .join('');
