/**
 * The one configuration schema of the CSMS: every option with its type, default, environment
 * variable and bounds. `resolveConfig` reads it; the README's option table is generated from the
 * same facts (see docs/configuration.md).
 */
export interface TlsConfig {
  /** PEM certificate chain file (security profile 2). */
  certFile: string;
  /** PEM private key file. */
  keyFile: string;
  /** Optional PEM CA bundle (for client certificates later). */
  caFile?: string | undefined;
}

export interface CsmsConfig {
  port: number;
  host: string;
  /** Connections the kernel queues for the server before it accepts them (capped by net.core.somaxconn). */
  listenBacklog: number;
  databaseUrl: string;
  autoRegister: boolean;
  /** Heartbeat interval (s) sent in BootNotification.conf when Accepted. */
  heartbeatInterval: number;
  /** Interval (s) sent with Pending/Rejected: the minimum wait before the next Boot. */
  bootRetryInterval: number;
  tls: TlsConfig | null;
  /** Where firmware files (served to chargers) and uploaded diagnostics are kept. */
  filesDir: string;
  /** Base URL chargers use to reach this server's HTTP (firmware download, diagnostics upload); default: the listen address. */
  publicUrl: string | undefined;
  /** Bootstrap REST API key with the admin role (stored hashed at start); unset = none. */
  apiAdminKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  ocpp: {
    /** Timeout of CS→CP calls. */
    callTimeoutMs: number;
    /** WebSocket ping interval (s); 0 disables pings. */
    pingInterval: number;
    /** Largest accepted frame in bytes; larger frames close the connection with 1009. */
    maxFrameBytes: number;
    /** A client must complete the HTTP upgrade within this time. */
    handshakeTimeoutMs: number;
    /** Consecutive malformed frames tolerated before the connection is closed. */
    maxBadMessages: number;
    /** Open connections allowed from one IP address. */
    maxConnectionsPerIp: number;
    /** Handshakes in progress (lookup, password check) allowed from one IP address. */
    maxPendingHandshakesPerIp: number;
    /** Handshakes in progress over all addresses; past it the server answers 503 (saturated). */
    maxPendingHandshakes: number;
    /** Charge point timestamps further than this from the receive time are flagged `clock-skew`. */
    clockSkewTolerance: number;
    /** A connection without any OCPP message for this many seconds is closed (pings do not count); 0 = never. */
    silentTimeout: number;
    /** Failed handshakes (wrong password, unknown id) per address per minute before it gets 429 without lookup or hashing. */
    maxAuthFailuresPerIp: number;
  };
  hooks: { decideTimeoutMs: number; observeTimeoutMs: number };
  /** Time one plugin may take in setup(). */
  pluginSetupTimeoutMs: number;
  persistence: { batchDelayMs: number; maxBatch: number | undefined; sampleInboxMs: number };
  /** Work nobody waits for (automatic local-list syncs, healing checks) waits while the process is busy. */
  background: {
    /** Busy: the event loop ran code more than this percentage of the last quarter second (100 = never wait). */
    busyPercent: number;
    /** Longest one background task waits for a calm moment before it runs anyway. */
    maxDeferMs: number;
  };
  /** The public, read-only driver view of one connector (`/public/v1/connectors/...`); off by default. */
  publicLive: boolean;
  live: {
    /** A burst of MeterValues gives at most one live event per connector per this many ms. */
    coalesceMs: number;
    /** How long a finished session stays visible as a connector's `lastSession`. */
    lastSessionMinutes: number;
    /** Origins allowed to read the public view cross-origin: comma-separated, `*` for any; unset = same origin only. */
    publicCorsOrigins: string | undefined;
    /** Requests per minute one IP address may make to the public view. */
    publicRateLimitPerMinute: number;
    /** Seconds between SSE heartbeat comments. */
    sseHeartbeatSeconds: number;
  };
  /** Prometheus metrics: `GET /metrics` (viewer API key) on the main port, or on a port of its own without a key. */
  metrics: {
    enabled: boolean;
    /** Serve /metrics on this port (no key; bind `metrics.host` to a monitoring network) instead of the main port. */
    port: number | undefined;
    host: string;
  };
}

type Kind = 'int' | 'bool' | 'string' | 'enum';

export interface OptionSpec {
  /** Dotted path in CsmsConfig. */
  path: string;
  env: string;
  kind: Kind;
  default: unknown;
  min?: number;
  max?: number;
  values?: readonly string[];
  description: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const optionSpecs: readonly OptionSpec[] = [
  { path: 'port', env: 'CHARGE_IT_PORT', kind: 'int', default: 9000, min: 0, max: 65535, description: 'TCP port of the HTTP server (OCPP websocket at /ocpp/{id} and the REST API); 0 picks a free port' },
  { path: 'host', env: 'CHARGE_IT_HOST', kind: 'string', default: '0.0.0.0', description: 'address to listen on' },
  { path: 'listenBacklog', env: 'CHARGE_IT_LISTEN_BACKLOG', kind: 'int', default: 4_096, min: 1, max: 65_535, description: 'connections the kernel queues for the server before it accepts them (Linux caps it at net.core.somaxconn); when a reconnect storm overflows the queue, each charger that overflows waits for a TCP retransmit (1 s, then 2 s, ...)' },
  { path: 'databaseUrl', env: 'CHARGE_IT_DATABASE_URL', kind: 'string', default: 'sqlite:./data/charge-it.db', description: 'sqlite:<file> (embedded, default) or mysql://user:pass@host:port/db / mariadb://…' },
  { path: 'autoRegister', env: 'CHARGE_IT_AUTO_REGISTER', kind: 'bool', default: false, description: 'accept unknown charge point ids and register them (otherwise HTTP 404 at the handshake)' },
  { path: 'heartbeatInterval', env: 'CHARGE_IT_HEARTBEAT_INTERVAL', kind: 'int', default: 300, min: 1, max: 86_400, description: 'heartbeat interval in seconds sent in BootNotification.conf' },
  { path: 'bootRetryInterval', env: 'CHARGE_IT_BOOT_RETRY_INTERVAL', kind: 'int', default: 60, min: 0, max: 86_400, description: 'seconds a Pending or Rejected charge point waits before its next BootNotification' },
  { path: 'tls.certFile', env: 'CHARGE_IT_TLS_CERT_FILE', kind: 'string', default: undefined, description: 'PEM certificate file: serves wss:// and HTTPS (security profile 2); needs tls.keyFile. Several comma-separated (an RSA and an ECDSA certificate, served together); reloaded when it changes (polled every 10 s) or on csms.reloadTls()' },
  { path: 'tls.keyFile', env: 'CHARGE_IT_TLS_KEY_FILE', kind: 'string', default: undefined, description: 'PEM private key file for tls.certFile (comma-separated, in the same order)' },
  { path: 'tls.caFile', env: 'CHARGE_IT_TLS_CA_FILE', kind: 'string', default: undefined, description: 'PEM CA certificate(s) for client certificates: set it to admit security profile 3 charge points (certificate signed by this CA, CN = charge point id)' },
  { path: 'filesDir', env: 'CHARGE_IT_FILES_DIR', kind: 'string', default: './data/files', description: 'folder for firmware files served to chargers and diagnostics they upload' },
  { path: 'publicUrl', env: 'CHARGE_IT_PUBLIC_URL', kind: 'string', default: undefined, description: 'base URL chargers use to reach this server over HTTP(S), e.g. https://csms.example.id (default: the listen address)' },
  { path: 'apiAdminKey', env: 'CHARGE_IT_API_ADMIN_KEY', kind: 'string', default: undefined, description: 'bootstrap REST API key with the admin role (at least 24 characters; stored hashed); unset = no bootstrap key' },
  { path: 'logLevel', env: 'CHARGE_IT_LOG_LEVEL', kind: 'enum', values: LOG_LEVELS, default: 'info', description: 'pino log level' },
  { path: 'ocpp.callTimeoutMs', env: 'CHARGE_IT_OCPP_CALL_TIMEOUT_MS', kind: 'int', default: 30_000, min: 100, max: 600_000, description: 'timeout of calls to a charge point' },
  { path: 'ocpp.pingInterval', env: 'CHARGE_IT_OCPP_PING_INTERVAL', kind: 'int', default: 60, min: 0, max: 86_400, description: 'websocket ping interval in seconds (0 = off)' },
  { path: 'ocpp.maxFrameBytes', env: 'CHARGE_IT_OCPP_MAX_FRAME_BYTES', kind: 'int', default: 8_388_608, min: 1024, max: 67_108_864, description: 'largest accepted websocket frame in bytes (8 MiB as SteVe: a long session\'s StopTransaction.transactionData is ~0.4 KB per reading); a larger frame closes the connection with 1009' },
  { path: 'ocpp.handshakeTimeoutMs', env: 'CHARGE_IT_OCPP_HANDSHAKE_TIMEOUT_MS', kind: 'int', default: 10_000, min: 100, max: 120_000, description: 'time allowed to complete the websocket handshake' },
  { path: 'ocpp.maxBadMessages', env: 'CHARGE_IT_OCPP_MAX_BAD_MESSAGES', kind: 'int', default: 20, min: 1, max: 1_000_000, description: 'consecutive malformed frames before the connection is closed' },
  { path: 'ocpp.maxConnectionsPerIp', env: 'CHARGE_IT_OCPP_MAX_CONNECTIONS_PER_IP', kind: 'int', default: 100_000, min: 1, max: 10_000_000, description: 'open websocket connections allowed from one IP address (chargers behind one NAT share an IP)' },
  { path: 'ocpp.maxPendingHandshakesPerIp', env: 'CHARGE_IT_OCPP_MAX_PENDING_HANDSHAKES_PER_IP', kind: 'int', default: 1_000, min: 1, max: 1_000_000, description: 'websocket handshakes in progress allowed from one IP address (a NAT full of chargers reconnects at once after an outage)' },
  { path: 'ocpp.maxPendingHandshakes', env: 'CHARGE_IT_OCPP_MAX_PENDING_HANDSHAKES', kind: 'int', default: 2_000, min: 1, max: 1_000_000, description: 'websocket handshakes in progress over all addresses; past it new ones get 503 with Retry-After at once, instead of queueing past the handshake timeout (a saturated server in a reconnect storm)' },
  { path: 'ocpp.clockSkewTolerance', env: 'CHARGE_IT_OCPP_CLOCK_SKEW_TOLERANCE', kind: 'int', default: 300, min: 1, max: 86_400 * 365, description: 'seconds between a charge point timestamp and the receive time before the data is flagged clock-skew' },
  { path: 'ocpp.maxAuthFailuresPerIp', env: 'CHARGE_IT_OCPP_MAX_AUTH_FAILURES_PER_IP', kind: 'int', default: 30, min: 1, max: 1_000_000, description: 'failed handshakes (wrong password, unknown id) one IP address may make per minute; then it gets HTTP 429 (with Retry-After) before any lookup or password check until the minute is over; other addresses are not affected' },
  { path: 'ocpp.silentTimeout', env: 'CHARGE_IT_OCPP_SILENT_TIMEOUT', kind: 'int', default: 900, min: 0, max: 86_400, description: 'seconds a connection may stay open without sending any OCPP message (websocket pongs do not count) before it is closed; keep it above heartbeatInterval (0 = never)' },
  { path: 'hooks.decideTimeoutMs', env: 'CHARGE_IT_HOOKS_DECIDE_TIMEOUT_MS', kind: 'int', default: 2_000, min: 1, max: 20_000, description: 'time one plugin may take to answer a decide hook' },
  { path: 'hooks.observeTimeoutMs', env: 'CHARGE_IT_HOOKS_OBSERVE_TIMEOUT_MS', kind: 'int', default: 30_000, min: 1, max: 600_000, description: 'time one plugin may take in an observe hook' },
  { path: 'pluginSetupTimeoutMs', env: 'CHARGE_IT_PLUGIN_SETUP_TIMEOUT_MS', kind: 'int', default: 10_000, min: 1, max: 600_000, description: 'time one plugin may take in setup()' },
  { path: 'persistence.batchDelayMs', env: 'CHARGE_IT_PERSISTENCE_BATCH_DELAY_MS', kind: 'int', default: 2, min: 0, max: 1_000, description: 'group commit: how long writes wait to share one database transaction' },
  { path: 'persistence.maxBatch', env: 'CHARGE_IT_PERSISTENCE_MAX_BATCH', kind: 'int', default: undefined, min: 1, max: 100_000, description: 'group commit: most writes in one database transaction; unset = 100 on SQLite (a commit there is cheap and synchronous: smaller batches answer sooner), 500 on MariaDB (a commit there is a round trip and a log flush)' },
  { path: 'persistence.sampleInboxMs', env: 'CHARGE_IT_PERSISTENCE_SAMPLE_INBOX_MS', kind: 'int', default: 1_000, min: 10, max: 600_000, description: 'how long new meter samples may wait in the sample inbox before they are moved into meter_sample, many commits at once (queries move them first, so they always see them)' },
  { path: 'background.busyPercent', env: 'CHARGE_IT_BACKGROUND_BUSY_PERCENT', kind: 'int', default: 70, min: 1, max: 100, description: 'work nobody waits for (the automatic local-list sync after a boot, healing checks) waits while the event loop ran code more than this percentage of the last quarter second, so a reconnect storm is served first (100 = never wait)' },
  { path: 'background.maxDeferMs', env: 'CHARGE_IT_BACKGROUND_MAX_DEFER_MS', kind: 'int', default: 60_000, min: 0, max: 3_600_000, description: 'longest one background task waits for a calm moment before it runs anyway' },
  { path: 'publicLive', env: 'CHARGE_IT_PUBLIC_LIVE', kind: 'bool', default: false, description: 'serve the public read-only view of one connector (status, running session with the idTag masked) at /public/v1/connectors/{chargePointId}/{connectorId}' },
  { path: 'live.coalesceMs', env: 'CHARGE_IT_LIVE_COALESCE_MS', kind: 'int', default: 1_000, min: 0, max: 60_000, description: 'live state: at most one meter-driven event per connector per this many ms (status changes go out at once)' },
  { path: 'live.lastSessionMinutes', env: 'CHARGE_IT_LIVE_LAST_SESSION_MINUTES', kind: 'int', default: 30, min: 0, max: 10_080, description: 'live state: minutes a finished session stays shown as the connector\'s lastSession' },
  { path: 'live.publicCorsOrigins', env: 'CHARGE_IT_LIVE_PUBLIC_CORS_ORIGINS', kind: 'string', default: undefined, description: 'origins allowed to read the public view from a browser, comma-separated (e.g. https://driver.example.id), or * for any; unset = same origin only' },
  { path: 'live.publicRateLimitPerMinute', env: 'CHARGE_IT_LIVE_PUBLIC_RATE_LIMIT', kind: 'int', default: 120, min: 1, max: 1_000_000, description: 'requests per minute one IP address may make to the public view (then HTTP 429 with Retry-After)' },
  { path: 'live.sseHeartbeatSeconds', env: 'CHARGE_IT_LIVE_SSE_HEARTBEAT_SECONDS', kind: 'int', default: 15, min: 1, max: 3_600, description: 'seconds between heartbeat comments on the live SSE streams (keeps proxies from closing them)' },
  { path: 'metrics.enabled', env: 'CHARGE_IT_METRICS_ENABLED', kind: 'bool', default: true, description: 'serve Prometheus metrics (GET /metrics); on the main port it needs an API key with the viewer role' },
  { path: 'metrics.port', env: 'CHARGE_IT_METRICS_PORT', kind: 'int', default: undefined, min: 0, max: 65535, description: 'serve GET /metrics on this port instead, without an API key (keep it on a monitoring network); 0 picks a free port; unset = on the main port with a key' },
  { path: 'metrics.host', env: 'CHARGE_IT_METRICS_HOST', kind: 'string', default: '127.0.0.1', description: 'address the separate metrics port listens on (only with metrics.port)' },
];
