/** The ceiling for the REST benchmark: express 5 answering JSON with nothing behind it. */
import express from 'express';

const app = express();
app.use(express.json());
app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
app.post('/echo', (req, res) => {
  res.status(201).json({ received: req.body as unknown });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'bare express listening', port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
