import { Injectable, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AuditService } from '../audit/audit.service';
import { ProviderCalls } from '../providers/provider-calls';
import { SmsCodesService } from '../sms/sms-codes.service';
import { MiniProgramPhoneService } from '../wechat/mini-program-phone.service';
import { TokenRefreshService } from '../wechat/token-refresh.service';
import { WechatApiClient } from '../wechat/wechat-api.client';
import { LoginMethod } from '../common/enums';
import { ConnectorLoginService } from '../connectors/connector-login.service';
import { OutboxDrainer } from '../outbox/outbox-drainer.service';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxHandlers } from '../outbox/outbox-handlers';
import { ProviderEventsRepository } from '../provider-events/provider-events.repository';
import { Clock } from '../common/clock';

/**
 * Prometheus metrics (prom-client), one registry per app instance. Counters are fed by hooks on the
 * WeChat client, the refresh job, SMS sending and the audit log, so business code stays metric-free.
 */
// The login audit actions `login.<method>` and `<provider>.bind` count as successful logins.
const LOGIN_METHODS = new Set<string>(Object.values(LoginMethod).map((m) => m.toLowerCase()));

@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  readonly logins = new Counter({
    name: 'wechat_login_logins_total',
    help: 'Logins by method (WECHAT, PHONE) and outcome (success or an error code)',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly wechatCalls = new Counter({
    name: 'wechat_login_wechat_calls_total',
    help: 'Calls to WeChat by endpoint and outcome (ok, errcode_N, timeout, http_5xx, ...)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly wechatLatency = new Histogram({
    name: 'wechat_login_wechat_call_duration_seconds',
    help: 'Latency of calls to WeChat',
    labelNames: ['endpoint'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [this.registry],
  });

  readonly providerCalls = new Counter({
    name: 'wechat_login_provider_calls_total',
    help: 'Calls to Apple, Huawei and the carrier API by operation and outcome (ok, rejected, timeout, http_503, ...)',
    labelNames: ['provider', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly providerLatency = new Histogram({
    name: 'wechat_login_provider_call_duration_seconds',
    help: 'Latency of calls to Apple, Huawei and the carrier API',
    labelNames: ['provider', 'operation'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [this.registry],
  });

  readonly smsSends = new Counter({
    name: 'wechat_login_sms_sends_total',
    help: 'SMS codes sent by purpose and outcome',
    labelNames: ['purpose', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly billedPhoneNumbers = new Counter({
    name: 'wechat_login_wechat_phone_numbers_billed_total',
    help: 'Mini-program phone numbers WeChat billed (getuserphonenumber successes), by app',
    labelNames: ['app_id'] as const,
    registers: [this.registry],
  });

  readonly refreshOutcomes = new Counter({
    name: 'wechat_login_token_refresh_total',
    help: 'Grants processed by the refresh job, by outcome (refreshed, failed, reauth)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly outboxTries = new Counter({
    name: 'wechat_login_outbox_deliveries_total',
    help: 'Tries of outbox messages (webhooks, provider cleanups) by kind and outcome (delivered, retry, failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly client: WechatApiClient,
    private readonly refreshJob: TokenRefreshService,
    private readonly miniProgramPhone: MiniProgramPhoneService,
    private readonly connectorLogins: ConnectorLoginService,
    private readonly audit: AuditService,
    private readonly smsCodes: SmsCodesService,
    private readonly providers: ProviderCalls,
    private readonly outboxDrainer: OutboxDrainer,
    outbox: OutboxRepository,
    outboxKinds: OutboxHandlers,
    providerEvents: ProviderEventsRepository,
    clock: Clock,
  ) {
    // The inbox's backlog, read once per scrape (one statement for both gauges' collect).
    let backlog: Promise<{ pending: number; oldest: Date | null }> | null = null;
    const readBacklog = () => {
      backlog ??= providerEvents.pendingStats().finally(() => setImmediate(() => (backlog = null)));
      return backlog;
    };
    new Gauge({
      name: 'wechat_login_provider_events_pending',
      help: 'Provider events stored and not yet applied (WeChat message-server pushes, ...)',
      registers: [this.registry],
      async collect() {
        this.set((await readBacklog()).pending);
      },
    });
    new Gauge({
      name: 'wechat_login_provider_events_oldest_pending_seconds',
      help: 'Age of the oldest provider event not yet applied, in seconds (0 when none)',
      registers: [this.registry],
      async collect() {
        const { oldest } = await readBacklog();
        this.set(oldest ? Math.max(0, (clock.nowMs() - oldest.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'wechat_login_wechat_circuit_open',
      help: '1 while the circuit breaker of a WeChat app is open (or half-open), else 0',
      labelNames: ['app_id'] as const,
      registers: [this.registry],
      collect() {
        for (const appId of client.appIds) this.set({ app_id: appId }, client.circuitState(appId) === 'closed' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'wechat_login_provider_circuit_open',
      help: '1 while the circuit breaker of Apple, Huawei or the carrier API is open (or half-open), else 0',
      labelNames: ['provider'] as const,
      registers: [this.registry],
      collect() {
        for (const provider of ['apple', 'huawei', 'carrier'] as const) {
          this.set({ provider }, providers.circuitState(provider) === 'closed' ? 0 : 1);
        }
      },
    });
    // The outbox as the database holds it (every instance's view is the same), read once per scrape.
    let pending: Promise<{ kind: string; count: number; oldest: Date | null }[]> | null = null;
    const pendingNow = () => (pending ??= outbox.pendingByKind().finally(() => setImmediate(() => (pending = null))));
    new Gauge({
      name: 'wechat_login_outbox_pending',
      help: 'Outbox messages waiting to be sent (webhooks, provider cleanups), by kind',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const kind of outboxKinds.kinds()) this.set({ kind }, 0);
        for (const row of await pendingNow()) this.set({ kind: row.kind }, row.count);
      },
    });
    new Gauge({
      name: 'wechat_login_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox message still waiting to be sent, by kind (absent: none waiting)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const now = clock.nowMs();
        for (const row of await pendingNow()) {
          if (row.oldest) this.set({ kind: row.kind }, Math.max(0, (now - row.oldest.getTime()) / 1000));
        }
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'wechat_login_' });
    // prom-client names three gauges *_total, which Prometheus reserves for counters (promtool check
    // metrics fails on them). Their per-type twins (nodejs_active_handles{type}, ...) stay: sum() them.
    for (const name of ['handles', 'requests', 'resources']) {
      this.registry.removeSingleMetric(`wechat_login_nodejs_active_${name}_total`);
    }
  }

  onModuleInit(): void {
    this.client.onCall = (endpoint, outcome, millis) => {
      this.wechatCalls.inc({ endpoint, outcome });
      this.wechatLatency.observe({ endpoint }, millis / 1000);
    };
    this.refreshJob.onOutcome = (outcome) => this.refreshOutcomes.inc({ outcome });
    this.outboxDrainer.onOutcome = (kind, outcome) => this.outboxTries.inc({ kind, outcome });
    this.miniProgramPhone.onBilled = (appId) => this.billedPhoneNumbers.inc({ app_id: appId });
    this.connectorLogins.onSnapshotVisitor = () =>
      this.logins.inc({ method: 'WECHAT', outcome: 'WECHAT_SNAPSHOT_USER' });
    this.audit.observer = (action, details) => this.observeAudit(action, details);
    this.smsCodes.onSend = (purpose, outcome) => this.smsSends.inc({ purpose, outcome });
    this.providers.onCall = ({ provider, operation, outcome, millis }) => {
      this.providerCalls.inc({ provider, operation, outcome });
      this.providerLatency.observe({ provider, operation }, millis / 1000);
    };
  }

  /** From the audit log: every login success and failure passes through it. */
  observeAudit(action: string, details: Record<string, unknown> | undefined): void {
    const [kind, what] = action.split('.');
    if (action === 'login.failed') {
      this.logins.inc({ method: String(details?.method ?? 'UNKNOWN'), outcome: String(details?.code ?? 'UNKNOWN') });
    } else if (kind === 'login' && LOGIN_METHODS.has(what)) {
      this.logins.inc({ method: what.toUpperCase(), outcome: 'success' });
    } else if (what === 'bind' && LOGIN_METHODS.has(kind)) {
      // A first login finishes at its phone binding.
      this.logins.inc({ method: kind.toUpperCase(), outcome: 'success' });
    }
  }
}
