/**
 * Places a passive limit buy 1% under the market with a client order id, reads it back, and
 * cancels it, over signed REST.
 *
 *   npx tsx sdk/examples/place-and-cancel.ts        (against `npm start`, demo mode)
 */
import { RestClient } from '../src/index.js';
import { baseUrl, loadCredentials, minimumQuantity, percentBelow, run, symbol } from './shared.js';

run(async () => {
  const rest = new RestClient({ baseUrl, credentials: loadCredentials() });
  const { offsetMs } = await rest.calibrateClock(3);
  console.log(`clock offset to the server: ${offsetMs} ms`);

  let rules;
  for await (const instrument of rest.iterateInstruments()) if (instrument.symbol === symbol) rules = instrument;
  if (!rules) throw new Error(`no instrument ${symbol}`);

  const book = await rest.getOrderBook(symbol, 1);
  const reference = book.bids[0]?.price ?? book.asks[0]?.price ?? process.env.PRICE;
  if (!reference) throw new Error(`the ${symbol} book is empty: set PRICE to choose a price`);
  const price = percentBelow(rules, reference, 1);
  const quantity = minimumQuantity(rules, price);
  const clientOrderId = `pc-${Date.now()}`;

  const placed = await rest.placeOrder({ symbol, side: 'buy', type: 'limit', price, quantity, timeInForce: 'GTC', postOnly: true, clientOrderId });
  console.log(`placed order ${placed.order.orderId} ${symbol} buy ${placed.order.quantity} @ ${placed.order.price} (client id ${clientOrderId}, status ${placed.order.status})`);

  const read = await rest.getOrderByClientId(clientOrderId);
  console.log(`read back order ${read.orderId}: ${read.status}, ${read.remainingQuantity} open`);

  const canceled = await rest.cancelOrder(placed.order.orderId);
  console.log(`canceled order ${canceled.orderId}: ${canceled.status}`);
  if (canceled.status !== 'canceled') throw new Error(`expected canceled, got ${canceled.status}`);
});
