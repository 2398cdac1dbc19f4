import { readFileSync } from 'node:fs';
import { ERROR_CODES, errorCodesOf, isErrorCode, SessionqlError } from '../../client/src';
import { bundleClientForBrowsers, SPA_CLIENT_BUNDLE } from '../../scripts/bundle-client';
import { PASSED_THROUGH_CODES } from '../../src/graphql/error-translation';
import { ErrorCode } from '../../src/shared/app-error';

describe('@sessionql/client (client/)', () => {
  it("names exactly the error codes the server answers with: its own and those it passes through", () => {
    expect([...ERROR_CODES].sort()).toEqual([...new Set([...Object.values(ErrorCode), ...PASSED_THROUGH_CODES])].sort());
  });

  it('reads the codes of its own errors, of Apollo-style error lists and of single errors, leaving unknown ones out', () => {
    const errors = [
      { message: 'Slow down.', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 42 } },
      { message: 'Step up.', extensions: { code: 'STEP_UP_REQUIRED', requiredAal: 2, maxAgeSeconds: 600 } },
      { message: 'From the future.', extensions: { code: 'SOMETHING_NEW' } },
    ];
    const error = new SessionqlError(errors, 200, { me: null });
    expect(error.codes).toEqual(['RATE_LIMITED', 'STEP_UP_REQUIRED']);
    expect(error.has('RATE_LIMITED')).toBe(true);
    expect(error.has('FORBIDDEN')).toBe(false);
    expect(error.retryAfterSeconds).toBe(42);
    expect(error.stepUp).toEqual({ requiredAal: 2, maxAgeSeconds: 600 });
    expect(error.message).toBe('Slow down. Step up. From the future.');
    expect(error.data).toEqual({ me: null });
    expect(errorCodesOf({ errors })).toEqual(['RATE_LIMITED', 'STEP_UP_REQUIRED']);
    expect(errorCodesOf(errors[0])).toEqual(['RATE_LIMITED']);
    expect(errorCodesOf(new Error('network down'))).toEqual([]);
    expect(errorCodesOf(null)).toEqual([]);
    expect(new SessionqlError([], 415).message).toBe('HTTP 415');
    expect(new SessionqlError([], 503).stepUp).toBeNull();
    expect(isErrorCode('UNAUTHENTICATED')).toBe(true);
    expect(isErrorCode('unauthenticated')).toBe(false);
  });

  it('ships to the example SPA as one current browser module (run `npm run build:client` after changing client/)', () => {
    const bundle = bundleClientForBrowsers();
    expect(readFileSync(SPA_CLIENT_BUNDLE, 'utf8')).toBe(bundle);
    // Nothing left for a browser to resolve: no bare imports, no Node globals.
    expect(bundle).not.toMatch(/^import .* from ['"][^./]/m);
    expect(bundle).not.toMatch(/\brequire\(|process\.env/);
  });
});
