import { TokenService, type TokenServiceOptions, TokenStoreEventEmitter } from '@tokenstore/core';
import type { SecrecyRecorder } from './secrecy-recorder.js';

/**
 * An event emitter that hands every payload it emits, whatever the event, to the recorder before
 * delivering it.
 */
export function createRecordingEmitter(recorder: SecrecyRecorder): TokenStoreEventEmitter {
  const events = new TokenStoreEventEmitter();
  const emit = events.emit.bind(events);
  events.emit = ((name: string, ...payload: unknown[]) => {
    recorder.recordExposure(`event ${name}`, payload);
    return (emit as (name: string, ...args: unknown[]) => boolean)(name, ...payload);
  }) as TokenStoreEventEmitter['emit'];
  return events;
}

/**
 * A TokenService whose every method call is observed: plaintexts in its results are recorded as
 * issued secrets, and every error it throws is recorded as an exposure (message and causes).
 */
export function createRecordingService(options: TokenServiceOptions, recorder: SecrecyRecorder): TokenService {
  const service = new TokenService({ ...options, events: options.events ?? createRecordingEmitter(recorder) });
  return new Proxy(service, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = String(property);
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          // The real instance as `this`: the service's private fields do not exist on the proxy.
          result = value.apply(target, args);
        } catch (error) {
          recorder.recordError(error, `TokenService.${method} error`);
          throw error;
        }
        if (!(result instanceof Promise)) {
          recorder.recordResult(method, result);
          return result;
        }
        return result.then(
          (resolved: unknown) => {
            recorder.recordResult(method, resolved);
            return resolved;
          },
          (error: unknown) => {
            recorder.recordError(error, `TokenService.${method} error`);
            throw error;
          },
        );
      };
    },
  });
}
