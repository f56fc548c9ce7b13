/** Small line icons (16 px, currentColor), so nothing loads from elsewhere. */
type IconProps = { size?: number; className?: string }

function Svg({
  size = 16,
  className,
  children,
}: IconProps & { children: React.ReactNode }): React.JSX.Element {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.5"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      className={className}
    >
      {children}
    </svg>
  )
}

export const PlusIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <path d="M8 3v10M3 8h10" />
  </Svg>
)

export const GearIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <circle cx="8" cy="8" r="2.2" />
    <path d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4" />
  </Svg>
)

export const SearchIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <circle cx="7" cy="7" r="4.5" />
    <path d="M10.5 10.5L14 14" />
  </Svg>
)

export const FolderIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <path d="M1.75 4.25c0-.7.55-1.25 1.25-1.25h3l1.5 1.5H13c.7 0 1.25.55 1.25 1.25v6.5c0 .7-.55 1.25-1.25 1.25H3c-.7 0-1.25-.55-1.25-1.25z" />
  </Svg>
)

export const ArchiveIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <rect x="2" y="2.5" width="12" height="11" rx="1.5" />
    <path d="M8 2.5v2M8 6v1.5M8 9v1.5" />
  </Svg>
)

export const GitIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <circle cx="4.5" cy="3.5" r="1.5" />
    <circle cx="4.5" cy="12.5" r="1.5" />
    <circle cx="11.5" cy="5.5" r="1.5" />
    <path d="M4.5 5v6M11.5 7c0 2.5-3 2.5-6.3 4.3" />
  </Svg>
)

export const AlertIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <path d="M8 1.75L14.5 13.5h-13z" />
    <path d="M8 6.5v3M8 11.5v.01" />
  </Svg>
)

export const BoxIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <path d="M8 1.75l5.75 3v6.5L8 14.25l-5.75-3v-6.5z" />
    <path d="M2.25 4.75L8 7.75l5.75-3M8 7.75v6.5" />
  </Svg>
)

export const ChevronIcon = (p: IconProps): React.JSX.Element => (
  <Svg {...p}>
    <path d="M6 4l4 4-4 4" />
  </Svg>
)
