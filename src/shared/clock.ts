/** The source of "now" for everything that expires; tests inject a controllable one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: expiry tests advance it instead of sleeping. */
export class ManualClock implements Clock {
  private currentMillis: number;

  constructor(start: Date = new Date()) {
    this.currentMillis = start.getTime();
  }

  now(): Date {
    return new Date(this.currentMillis);
  }

  advanceBySeconds(seconds: number): void {
    this.currentMillis += seconds * 1000;
  }
}
