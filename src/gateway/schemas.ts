import { MAX_NAME_LENGTH, NAME_PATTERN } from './options.ts'

/** The `:name` of `/actors/:name`. */
export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH } },
} as const

/** `PUT /actors/:name`: the type to spawn, and its args (the actor's props). */
export const spawnBody = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH },
    args: {},
  },
} as const

/** `POST /actors/:name`: any JSON value is a message. */
export const messageBody = {
  type: ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'],
} as const

/** `POST /actors/:name?ask=1&timeout=ms`. */
export function messageQuery(maxAskTimeoutMs: number) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      ask: { type: 'string', enum: ['0', '1', 'true', 'false'] },
      timeout: { type: 'integer', minimum: 1, maximum: maxAskTimeoutMs },
    },
  } as const
}

/** `GET /actors?limit&offset`. */
export function pageQuery(maxPageSize: number) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: maxPageSize },
      offset: { type: 'integer', minimum: 0 },
    },
  } as const
}

/** `GET /?token=…`, which trades the token for the cookie. */
export const tokenQuery = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 512 } },
} as const
