import { defineActor, defineProcess, expose, type FunctionRef, InvalidOptionError } from 'troupe'
import { describe, expect, expectTypeOf, it } from 'vitest'

type Msg = { type: 'square'; n: number }
const Squarer = defineActor<Msg, number>({ receive: (done) => done + 1 })
const Echo = defineProcess<string>(async (self) => {
  self.reply(await self.receive())
})
async function hi(name: string) {
  return `hi ${name}`
}
const module = new URL('./exposing-module.ts', import.meta.url).href

describe('expose with actor definitions', () => {
  it('returns each definition itself, typed as it is, and a FunctionRef for each function', () => {
    const exposed = expose(module, { Squarer, Echo, hi })
    expect(exposed.Squarer).toBe(Squarer)
    expect(exposed.Echo).toBe(Echo)
    expect(exposed.hi).toEqual({ module, name: 'hi' })
    expectTypeOf(exposed.Squarer).toEqualTypeOf<typeof Squarer>()
    expectTypeOf(exposed.Echo).toEqualTypeOf<typeof Echo>()
    expectTypeOf(exposed.hi).toEqualTypeOf<FunctionRef<typeof hi>>()
  })

  it('refuses what is neither a function nor a definition, naming it', () => {
    const bad = { kind: 'other' } as unknown as typeof Squarer
    expect(() => expose(module, { bad })).toThrow(InvalidOptionError)
    expect(() => expose(module, { bad })).toThrow(
      /'members\.bad': expected a function or an actor definition .*got an object that is no actor definition/,
    )
    expect(() => expose(module, { n: 3 as unknown as typeof hi })).toThrow(/got number/)
  })
})
