import { api, isDesktop } from '../../lib/api'

/**
 * A link to a web page (a pull request): opened by the system browser through `shell.openExternal` in the
 * desktop app, in a new tab in a browser.
 */
export function ExternalLink(props: {
  href: string
  children: React.ReactNode
  desktop?: boolean
  className?: string
}): React.JSX.Element {
  const { href, children, desktop = isDesktop, className } = props
  return (
    <a
      href={href}
      className={className}
      target="_blank"
      rel="noreferrer noopener"
      onClick={(e) => {
        if (!desktop) return
        e.preventDefault()
        void api['shell.openExternal']({ url: href })
      }}
    >
      {children}
    </a>
  )
}
