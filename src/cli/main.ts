/**
 * The `troupe` command: `run`, `registry`, `ps`, `send`, `request`, `flow`, `flow-host` and `gateway`.
 *
 * Run it through `bin/troupe.mjs` (the installed `troupe` command, `npx troupe <command> ...`, or
 * `node bin/troupe.mjs <command> ...` from a clone), or directly with `node --conditions=source
 * --import tsx src/cli/main.ts <command> ...` (which does not watch the processes that started it).
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Command, CommanderError, Option } from 'commander'
import type { CliContext } from './cli-context.ts'
import { describeError, exitCodeOf } from './cli-errors.ts'
import { flowCommand } from './flow-command.ts'
import { flowHostCommand } from './flow-host-command.ts'
import { gatewayCommand } from './gateway-command.ts'
import { psCommand } from './ps-command.ts'
import { registryCommand } from './registry-command.ts'
import { requestCommand } from './request-command.ts'
import { runCommand } from './run-command.ts'
import { sendCommand } from './send-command.ts'

/** The exit code of a command line: 0 success, 1 runtime failure, 2 bad arguments. */
export type ExitCode = 0 | 1 | 2

/** What the program that runs {@link main} gives it. */
export interface MainOptions {
  /**
   * Starts watching the processes that started this one (recorded when the program started),
   * calling `onGone` when one of them is gone; resolves with a function that stops the watch.
   * `main` uses it for the commands that run a node, unless the user opted out. Without it, the
   * node runs until it is stopped.
   * @default undefined
   */
  watchParents?: (onGone: (why: string) => void) => Promise<() => void>
}

/** The commands that run a node until they are stopped: they exit when what started them is gone. */
const NODE_COMMANDS = new Set(['run', 'registry', 'flow'])

/** The environment variable that turns the watch of the starting processes off: `0` or `false`. */
const EXIT_WITH_PARENT_ENV = 'TROUPE_EXIT_WITH_PARENT'

function exitWithParentOption(): Option {
  return new Option(
    '--no-exit-with-parent',
    `keep running when the process that started this one is gone (for nohup, or a process manager that forks twice; also ${EXIT_WITH_PARENT_ENV}=0)`,
  )
}

/** Whether the command that is about to run should exit with the processes that started it. */
function exitsWithParent(command: Command): boolean {
  const env = process.env[EXIT_WITH_PARENT_ENV]
  return (
    NODE_COMMANDS.has(command.name()) &&
    command.opts().exitWithParent !== false &&
    env !== '0' &&
    env !== 'false'
  )
}

/** The `troupe` program with its commands, parsing with `context`'s interruption and output. */
export function createProgram(context: CliContext): Command {
  const program = new Command('troupe')
    .description('Run Troupe actors on nodes, and talk to them.')
    .version(packageVersion(), '-V, --version', 'print the version of Troupe')
    .helpCommand(true)
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 1 runtime failure (unreachable node, refused cookie, no reply, no service), 2 bad arguments.`,
    )
  configure(program, 'troupe')
  for (const command of [
    runCommand(context),
    registryCommand(context),
    psCommand(context),
    sendCommand(context),
    requestCommand(context),
    flowCommand(context),
    flowHostCommand(context),
    gatewayCommand(context),
  ]) {
    configure(command, `troupe ${command.name()}`)
    if (NODE_COMMANDS.has(command.name())) command.addOption(exitWithParentOption())
    program.addCommand(command)
  }
  return program
}

/**
 * Runs one `troupe` command line (the arguments after `troupe`) and resolves with its exit code.
 * SIGINT and SIGTERM stop the command's node cleanly: the code is then 0. So does the end of a
 * process that started this one, for `run` and `registry` given `watchParents`.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<ExitCode> {
  const interrupted = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => interrupted.abort(signal)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const context: CliContext = {
    interrupted: interrupted.signal,
    print: (line) => {
      process.stdout.write(`${line}\n`)
    },
  }
  const program = createProgram(context)
  let stopWatching: (() => void) | undefined
  program.hook('preAction', async (_program, command) => {
    if (options.watchParents === undefined || !exitsWithParent(command)) return
    try {
      stopWatching = await options.watchParents((why) => {
        process.stderr.write(`troupe ${command.name()}: ${why}: stopping the node\n`)
        interrupted.abort(why)
      })
    } catch (error) {
      process.stderr.write(
        `troupe ${command.name()}: cannot watch the processes that started it (${describeError(error)}): it will outlive them\n`,
      )
    }
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return 0
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help or version) already.
      return error.exitCode === 0 ? 0 : 2
    }
    const command = program.commands.find((c) => c.name() === argv[0])
    process.stderr.write(
      `troupe${command === undefined ? '' : ` ${command.name()}`}: ${describeError(error)}\n`,
    )
    return exitCodeOf(error)
  } finally {
    stopWatching?.()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    // The caller exits next: a long reply still queued for a pipe would be cut at 64 KiB.
    await drained(process.stdout)
  }
}

/** Resolves when everything written to `stream` so far has been handed to the system. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}

/** Errors of commander (unknown option, missing argument) as one line naming the command, exit code 2. */
function configure(command: Command, path: string): void {
  command.exitOverride().configureOutput({
    outputError: (message, write) => {
      // One line: commander puts its suggestion ("Did you mean …?") on a line of its own.
      const text = message
        .trim()
        .replace(/^error: /, '')
        .replace(/\s*\n\s*/g, ' ')
      write(`${path}: ${text} (see ${path} --help)\n`)
    },
  })
  command.showSuggestionAfterError(true)
}

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(await main(process.argv.slice(2)))
}
