import type { FastifyInstance } from 'fastify'

/** `GET /`: stands where the dashboard goes (`dashboard` option), and lists the API. */
export async function dashboardPlaceholder(app: FastifyInstance): Promise<void> {
  app.get('/', async (_request, reply) => {
    reply.type('text/html; charset=utf-8')
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Troupe gateway</title></head>
<body><h1>Troupe gateway</h1>
<p>The dashboard is not installed here. The REST API:</p>
<ul>
<li><code>GET /actors</code>: the actors (<code>?limit&amp;offset</code>)</li>
<li><code>PUT /actors/:name</code> <code>{ "type", "args" }</code>: spawns one</li>
<li><code>POST /actors/:name</code>: tells a JSON message (<code>?ask=1&amp;timeout=ms</code> asks)</li>
<li><code>GET /actors/:name</code>: its snapshot</li>
<li><code>DELETE /actors/:name</code>: kills it</li>
<li><code>GET /nodes</code>, <code>GET /health</code></li>
</ul></body></html>
`
  })
}
