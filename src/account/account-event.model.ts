/**
 * What happened to an account's security, for its audit trail: the one table of this
 * vocabulary (as session-end-reason.ts is for ended sessions). The GraphQL enum, the
 * one-letter codes the stores keep and the descriptions are derived from it.
 */
export const ACCOUNT_EVENT_KINDS = {
  second_factor_enabled: {
    graphqlName: 'SECOND_FACTOR_ENABLED',
    storeCode: 'E',
    description: 'TOTP two-factor was turned on (confirmTotpEnrollment); recovery codes were made.',
  },
  second_factor_disabled: { graphqlName: 'SECOND_FACTOR_DISABLED', storeCode: 'D', description: 'TOTP two-factor was turned off (disableTotp).' },
  recovery_codes_regenerated: {
    graphqlName: 'RECOVERY_CODES_REGENERATED',
    storeCode: 'R',
    description: 'New recovery codes replaced the old ones (regenerateRecoveryCodes).',
  },
  second_factor_verified: {
    graphqlName: 'SECOND_FACTOR_VERIFIED',
    storeCode: 'V',
    description: 'A TOTP code was accepted (verifySecondFactor, stepUp, disableTotp).',
  },
  recovery_code_used: {
    graphqlName: 'RECOVERY_CODE_USED',
    storeCode: 'U',
    description: 'A recovery code was accepted, and is used up.',
  },
  second_factor_failed: {
    graphqlName: 'SECOND_FACTOR_FAILED',
    storeCode: 'F',
    description: 'A second-factor code was refused (wrong, used before, or expired).',
  },
} as const satisfies Record<string, { graphqlName: string; storeCode: string; description: string }>;

export type AccountEventKind = keyof typeof ACCOUNT_EVENT_KINDS;

export const ACCOUNT_EVENT_KIND_NAMES = Object.keys(ACCOUNT_EVENT_KINDS) as AccountEventKind[];

/** One entry of a user's account audit trail. */
export interface AccountEvent {
  kind: AccountEventKind;
  /** The session it happened on; null when none did (none does yet, but an admin tool might). */
  sessionId: string | null;
  at: Date;
}

/**
 * How much of the trail a store keeps per user: the newest `maxEventsPerUser` of the last
 * `retentionSeconds`. Bounded, so that a flood of refused codes (itself throttled) cannot
 * grow it; generous, so that the events that matter outlast such a flood for days.
 */
export const ACCOUNT_EVENT_RETENTION = {
  maxEventsPerUser: 200,
  retentionSeconds: 90 * 86_400,
} as const;
