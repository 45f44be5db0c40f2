import { Injectable } from '@nestjs/common';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { Database } from '../database/database.service';
import { SessionEntity } from '../sessions/session.entity';
import { SmsCodeEntity } from '../sms/sms-code.entity';

/** The session rows shown (newest first); older ones are summed up. */
export const SESSIONS_SHOWN = 50;
/** The recent logins shown. */
export const LOGINS_SHOWN = 20;

export type SessionTrace = Pick<
  SessionEntity,
  | 'familyId'
  | 'loginAt'
  | 'deviceId'
  | 'platform'
  | 'loginMethod'
  | 'ip'
  | 'userAgent'
  | 'createdAt'
  | 'lastUsedAt'
  | 'revokedAt'
>;
export type LoginTrace = Pick<AuditEventEntity, 'action' | 'ip' | 'createdAt'>;

/**
 * The cross-table reads of myPersonalData: the caller's session rows, their login events, and whether
 * an SMS code went to their phone. Query builders on the entities, read only.
 */
@Injectable()
export class PersonalDataRepository {
  constructor(private readonly database: Database) {}

  sessionsOf(userId: string): Promise<SessionTrace[]> {
    return this.database.dataSource.manager
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .select([
        's.familyId',
        's.loginAt',
        's.deviceId',
        's.platform',
        's.loginMethod',
        's.ip',
        's.userAgent',
        's.createdAt',
        's.lastUsedAt',
        's.revokedAt',
      ])
      .where('s.user_id = :userId', { userId })
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .take(SESSIONS_SHOWN)
      .getMany();
  }

  /** Successful logins (login.<method>), newest first. */
  loginsOf(userId: string): Promise<LoginTrace[]> {
    return this.database.dataSource.manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .select(['e.action', 'e.ip', 'e.createdAt'])
      .where('e.subject_user_id = :userId', { userId })
      .andWhere("e.action LIKE 'login.%'")
      .andWhere("e.action NOT IN ('login.failed', 'login.replay')")
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(LOGINS_SHOWN)
      .getMany();
  }

  /** Whether a login by SMS or carrier one-tap is on record for the user (the phone went to that party). */
  async phoneMethodsUsed(userId: string): Promise<{ sms: boolean; carrier: boolean }> {
    const rows = await this.database.dataSource.manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .select('e.action', 'action')
      .distinct(true)
      .where('e.subject_user_id = :userId', { userId })
      .andWhere("e.action IN ('login.phone', 'login.carrier')")
      .getRawMany<{ action: string }>();
    const actions = new Set(rows.map((row) => row.action));
    return { sms: actions.has('login.phone'), carrier: actions.has('login.carrier') };
  }

  /** SMS codes still on record for the phone (kept about two days): each one went through the SMS vendor. */
  async smsCodesSentTo(phone: string): Promise<number> {
    return this.database.dataSource.manager.getRepository(SmsCodeEntity).count({ where: { phone } });
  }
}
