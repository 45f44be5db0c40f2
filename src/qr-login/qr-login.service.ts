import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { LoginMethod, Platform } from '../common/enums';
import { newId } from '../common/ids';
import { RequestMeta } from '../common/request-meta';
import { randomToken, sha256Hex } from '../common/secrets';
import { TokenCipher } from '../common/token-cipher';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { SignedIn, SignInService } from '../identities/sign-in.service';
import type { AuthenticatedCaller } from '../sessions/sessions.service';
import { SessionsRepository } from '../sessions/sessions.repository';
import { assertMaySignIn } from '../users/sign-in-policy';
import { UsersService } from '../users/users.service';
import { QrLoginStatus } from './models/qr-login.models';
import {
  bindTicketContext,
  COLLECT_GRACE_MS,
  MAX_ID_LENGTH,
  QR_CONTENT_PREFIX,
  secretHash,
  statusOf,
} from './qr-login-codes';
import type { QrLoginEntity } from './qr-login.entity';
import { QrLoginsRepository } from './qr-logins.repository';

export interface QrLoginOutcome {
  status: QrLoginStatus;
  /** The page's new session: once, to the first poll after CONFIRMED. */
  signedIn: SignedIn | null;
  bindTicket: string | null;
}

export interface QrRequester {
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
}

const invalid = (): DomainError => new DomainError(ErrorCode.QR_LOGIN_INVALID);

/**
 * QR login with the service's own app (扫码登录): the page starts it and polls with its pollToken; the
 * signed-in app scans the QR content, then confirms or cancels. Every step is one conditional UPDATE
 * of the row in the database, so any instance serves any step and a race has one winner.
 */
@Injectable()
export class QrLoginService {
  private readonly ttlMs: number;

  constructor(
    private readonly repository: QrLoginsRepository,
    private readonly signIn: SignInService,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly cipher: TokenCipher,
    private readonly database: Database,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.ttlMs = config.get('qrLogin').ttlSeconds * 1000;
  }

  async start(
    deviceId: string | null,
    meta: RequestMeta,
  ): Promise<{ id: string; qrContent: string; pollToken: string; expiresAt: Date }> {
    const qrContent = QR_CONTENT_PREFIX + randomToken(32);
    const pollToken = randomToken(32);
    const now = this.clock.now();
    const row = {
      id: newId(),
      kind: 'app' as const,
      appId: '',
      codeHash: sha256Hex(qrContent),
      pollTokenHash: sha256Hex(pollToken),
      deviceId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlMs),
    };
    await this.repository.insert(row);
    return { id: row.id, qrContent, pollToken, expiresAt: row.expiresAt };
  }

  /** The row of the page holding its pollToken; anything else (qrContent in its place too) is QR_LOGIN_INVALID. */
  async owned(id: string, pollToken: string): Promise<QrLoginEntity> {
    const hash = secretHash(pollToken);
    if (!hash || !id || id.length > MAX_ID_LENGTH) throw invalid();
    const row = await this.repository.findById(id);
    if (!row || row.pollTokenHash !== hash) throw invalid();
    return row;
  }

  /** The status for the page; the session (or a follow login's bind ticket) the first time it is CONFIRMED. */
  async state(id: string, pollToken: string, meta: RequestMeta): Promise<QrLoginOutcome> {
    const row = await this.owned(id, pollToken);
    const status = statusOf(row, this.clock.nowMs());
    if (status !== QrLoginStatus.CONFIRMED || row.collectedAt) return { status, signedIn: null, bindTicket: null };
    return this.collect(row, meta);
  }

  /** scanQrLogin: PENDING -> SCANNED by this user; the same user scanning again gets the same answer. */
  async scan(qrContent: string, caller: AuthenticatedCaller, meta: RequestMeta): Promise<QrRequester> {
    const hash = this.appCodeHash(qrContent);
    const row = await this.repository.findByCode('', hash);
    if (!row || row.kind !== 'app') throw invalid();
    const now = this.clock.now();
    if (!(await this.repository.scan(hash, caller.userId, now))) {
      const current = await this.repository.findByCode('', hash);
      const again = current?.status === 'SCANNED' && current.scannedBy === caller.userId;
      if (!again || current.expiresAt <= now) throw invalid();
      return requesterOf(current);
    }
    await this.record('qr_login.scan', row, caller.userId, meta);
    return requesterOf(row);
  }

  /** confirmQrLogin: SCANNED -> CONFIRMED, by the user who scanned it, who may sign in. */
  async confirm(qrContent: string, caller: AuthenticatedCaller, meta: RequestMeta): Promise<true> {
    const hash = this.appCodeHash(qrContent);
    assertMaySignIn(caller.user ?? (await this.users.findById(caller.userId)));
    // The page's session begins the way the app's did (a QR login is no identity of its own).
    const began = await this.sessions.findLoginMethod(caller.sessionId);
    const method = began && began in LoginMethod ? (began as LoginMethod) : LoginMethod.PHONE;
    const now = this.clock.now();
    const won = await this.repository.confirm(hash, caller.userId, method, now);
    const row = await this.repository.findByCode('', hash);
    if (!row) throw invalid();
    if (!won) {
      // Confirming twice is fine; anything else (not scanned, another user's, expired, cancelled) is not.
      if (row.status === 'CONFIRMED' && row.userId === caller.userId) return true;
      throw invalid();
    }
    await this.record('qr_login.confirm', row, caller.userId, meta);
    return true;
  }

  /** cancelQrLogin: SCANNED -> CANCELLED, by the user who scanned it (the confirm screen's other button). */
  async cancel(qrContent: string, caller: AuthenticatedCaller, meta: RequestMeta): Promise<true> {
    const hash = this.appCodeHash(qrContent);
    const won = await this.repository.cancel(hash, caller.userId, this.clock.now());
    const row = await this.repository.findByCode('', hash);
    if (!row) throw invalid();
    if (!won) {
      if (row.status === 'CANCELLED' && row.scannedBy === caller.userId) return true;
      throw invalid();
    }
    await this.record('qr_login.cancel', row, caller.userId, meta);
    return true;
  }

  /** The one hand-out of a confirmed row: claimed and signed in in one transaction (a failure undoes the claim). */
  private async collect(row: QrLoginEntity, meta: RequestMeta): Promise<QrLoginOutcome> {
    const now = this.clock.now();
    const notExpiredBefore = new Date(now.getTime() - COLLECT_GRACE_MS);
    const confirmed = { status: QrLoginStatus.CONFIRMED, signedIn: null, bindTicket: null };
    if (row.userId) {
      const userId = row.userId;
      const method = (row.loginMethod && row.loginMethod in LoginMethod ? row.loginMethod : 'PHONE') as LoginMethod;
      const signedIn = await this.database.transaction(async (manager) => {
        if (!(await this.repository.collect(manager, row.id, now, notExpiredBefore))) return null;
        return this.signIn.signInUserId(manager, userId, {
          method,
          device: { deviceId: row.deviceId, platform: Platform.WEB },
          meta,
          audit: { action: 'qr_login.collect', details: { qrLoginId: row.id, kind: row.kind, method } },
        });
      });
      return { ...confirmed, signedIn };
    }
    if (!row.bindTicketEnc || !row.bindTicketKeyId) return confirmed;
    if (!(await this.repository.collect(null, row.id, now, notExpiredBefore))) return confirmed;
    const bindTicket = this.cipher.decrypt(
      row.bindTicketEnc,
      row.bindTicketKeyId,
      bindTicketContext(row.appId, row.codeHash),
    );
    await this.audit.record({
      action: 'qr_login.collect',
      ip: meta.ip,
      details: { qrLoginId: row.id, kind: row.kind, bindTicket: true },
    });
    return { ...confirmed, bindTicket };
  }

  private appCodeHash(qrContent: string): string {
    const hash = qrContent.startsWith(QR_CONTENT_PREFIX) ? secretHash(qrContent) : null;
    if (!hash) throw invalid();
    return hash;
  }

  private async record(action: string, row: QrLoginEntity, userId: string, meta: RequestMeta): Promise<void> {
    await this.audit.record({
      action,
      actorUserId: userId,
      subjectUserId: userId,
      ip: meta.ip,
      details: { qrLoginId: row.id, kind: row.kind },
    });
  }
}

function requesterOf(row: QrLoginEntity): QrRequester {
  return { ip: row.ip, userAgent: row.userAgent, createdAt: row.createdAt };
}
