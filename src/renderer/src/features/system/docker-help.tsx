import { isDesktop, api } from '../../lib/api'

interface Step {
  text: string
  command?: string
}

interface PlatformHelp {
  name: string
  install: { label: string; url: string }
  steps: Step[]
}

/** What to install or start, per platform (the `platform` of `system.status`, Node's names). */
export function dockerHelp(platform: string): PlatformHelp {
  if (platform === 'darwin') {
    return {
      name: 'macOS',
      install: {
        label: 'Docker Desktop for Mac',
        url: 'https://docs.docker.com/desktop/setup/install/mac-install/',
      },
      steps: [
        { text: 'Install Docker Desktop (Apple silicon or Intel) if it is not installed.' },
        { text: 'Open Docker Desktop from Applications and wait until it says “Engine running”.' },
      ],
    }
  }
  if (platform === 'win32') {
    return {
      name: 'Windows',
      install: {
        label: 'Docker Desktop for Windows',
        url: 'https://docs.docker.com/desktop/setup/install/windows-install/',
      },
      steps: [
        { text: 'Install Docker Desktop with the WSL 2 backend if it is not installed.' },
        { text: 'Start Docker Desktop and wait until it says “Engine running”.' },
      ],
    }
  }
  return {
    name: 'Linux',
    install: { label: 'Docker Engine for Linux', url: 'https://docs.docker.com/engine/install/' },
    steps: [
      {
        text: 'Install the Docker engine (Debian and Ubuntu package it):',
        command: 'sudo apt install docker.io',
      },
      { text: 'Start it:', command: 'sudo systemctl enable --now docker' },
      {
        text: 'Let your user talk to it, then log out and back in:',
        command: 'sudo usermod -aG docker $USER',
      },
    ],
  }
}

/** A link that opens in the system browser (desktop) or a new tab (browser). */
export function ExternalLink({
  href,
  children,
}: {
  href: string
  children: React.ReactNode
}): React.JSX.Element {
  const open = (event: React.MouseEvent): void => {
    if (!isDesktop) return
    event.preventDefault()
    void api['shell.openExternal']({ url: href })
  }
  return (
    <a href={href} target="_blank" rel="noreferrer noopener" onClick={open}>
      {children}
    </a>
  )
}

export function DockerSteps({ platform }: { platform: string }): React.JSX.Element {
  const help = dockerHelp(platform)
  return (
    <div className="docker-steps">
      <ol>
        {help.steps.map((step) => (
          <li key={step.text}>
            {step.text}
            {step.command && <code className="command">{step.command}</code>}
          </li>
        ))}
      </ol>
      <p className="muted">
        Download: <ExternalLink href={help.install.url}>{help.install.label}</ExternalLink>
      </p>
    </div>
  )
}
