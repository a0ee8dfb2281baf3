/** The WebSocket gateway's public surface: the composition root calls attachWsGateway. */
export { attachWsGateway, type WsGateway, type WsGatewayOptions } from './gateway.js';
export { CloseCode, DEFAULT_WS_CONFIG, WS_PATH, type WsConfig } from './config.js';
export { bookChecksum } from './book-view.js';
export type { WsMetrics } from './metrics.js';
