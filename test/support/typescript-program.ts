import { join, relative } from 'node:path'
import ts from 'typescript'
import { root } from './run-node.ts'

/** A program over `files` with the project's compiler options (tsconfig.json), to check or read. */
export function createProjectProgram(files: readonly string[]): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
      },
    },
  )
  if (config === undefined) throw new Error('cannot read tsconfig.json')
  return ts.createProgram(files, { ...config.options, noEmit: true })
}

/** TypeScript's codes for a name that is used but declared nowhere. */
export const UNDECLARED_NAME_CODES: readonly number[] = [2304, 2552, 2582]

/** The errors the type checker finds in `file`, one line each (`file:line:column message`), but `ignore`d codes. */
export function errorsIn(program: ts.Program, file: string, ignore: readonly number[] = []): string[] {
  const source = program.getSourceFile(file)
  if (source === undefined) return [`${file}: not part of the program`]
  const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
  return diagnostics
    .filter((diagnostic) => !ignore.includes(diagnostic.code))
    .map((diagnostic) => {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      if (diagnostic.start === undefined) return `${relative(root, file)}: ${text}`
      const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start)
      return `${relative(root, file)}:${line + 1}:${character + 1} ${text}`
    })
}

/** Every name the module `file` exports, values and types alike, following `export *`. */
export function exportedNames(program: ts.Program, file: string): string[] {
  const source = program.getSourceFile(file)
  const checker = program.getTypeChecker()
  const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
  if (module === undefined) throw new Error(`${file} is not a module of the program`)
  return checker.getExportsOfModule(module).map((symbol) => symbol.getName())
}
