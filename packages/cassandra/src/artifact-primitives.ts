import {
  type ArtifactStore,
  checkArtifactModel,
  checkArtifactReplacement,
  checkArtifactRow,
  checkGrantId,
  checkInstant,
  checkLookupKey,
  checkPurgeCriteria,
  checkScanRequest,
  type PurgeCriteria,
  type ScanPage,
  type ScanRequest,
  type StoredArtifact,
} from '@tokenstore/core';
import type { ArtifactMoves } from './artifact-moves.js';
import type { ArtifactPurge } from './artifact-purge.js';
import type { ArtifactRows } from './artifacts.js';
import { isPageState } from './client.js';
import { BACKEND } from './errors.js';
import type { CassandraExecutor } from './executor.js';

/**
 * `CassandraStore.artifacts`: core's input checks, then each primitive as one store operation (refused
 * once closed, driver errors typed) at the `artifacts` levels; the work is {@link ArtifactRows}' (the
 * provider's primitives), {@link ArtifactMoves}' (the rewrap job's) and {@link ArtifactPurge}'s.
 */
export class CassandraArtifacts implements ArtifactStore {
  readonly #x: CassandraExecutor;
  readonly #rows: ArtifactRows;
  readonly #moves: ArtifactMoves;
  readonly #purge: ArtifactPurge;

  constructor(executor: CassandraExecutor, parts: { rows: ArtifactRows; moves: ArtifactMoves; purge: ArtifactPurge }) {
    this.#x = executor;
    this.#rows = parts.rows;
    this.#moves = parts.moves;
    this.#purge = parts.purge;
  }

  upsertArtifact(row: StoredArtifact): Promise<void> {
    return this.#x.operation('upsertArtifact', async () => {
      checkArtifactRow(row, BACKEND);
      await this.#rows.upsert(row, this.#x.levels('artifacts'));
    });
  }

  getArtifact(model: string, key: string): Promise<StoredArtifact | null> {
    return this.#x.operation('getArtifact', async () => {
      checkRef(model, 'key', key);
      return this.#rows.get(model, key, this.#x.levels('artifacts'));
    });
  }

  findArtifactByUid(model: string, uidKey: string): Promise<StoredArtifact | null> {
    return this.#x.operation('findArtifactByUid', async () => {
      checkRef(model, 'uidKey', uidKey);
      return this.#rows.findThrough('byUid', model, uidKey, this.#x.levels('artifacts'));
    });
  }

  findArtifactByUserCode(model: string, userCodeKey: string): Promise<StoredArtifact | null> {
    return this.#x.operation('findArtifactByUserCode', async () => {
      checkRef(model, 'userCodeKey', userCodeKey);
      return this.#rows.findThrough('byUserCode', model, userCodeKey, this.#x.levels('artifacts'));
    });
  }

  consumeArtifact(model: string, key: string, at: number): Promise<boolean> {
    return this.#x.operation('consumeArtifact', async () => {
      checkRef(model, 'key', key);
      checkInstant('at', at, BACKEND);
      return this.#rows.consume(model, key, at, this.#x.levels('artifacts'));
    });
  }

  deleteArtifact(model: string, key: string): Promise<boolean> {
    return this.#x.operation('deleteArtifact', async () => {
      checkRef(model, 'key', key);
      return this.#rows.delete(model, key, this.#x.levels('artifacts'));
    });
  }

  deleteArtifactsOfGrant(grantId: string): Promise<number> {
    return this.#x.operation('deleteArtifactsOfGrant', async () => {
      checkGrantId(grantId, BACKEND);
      return this.#rows.deleteOfGrant(grantId, this.#x.levels('artifacts'));
    });
  }

  purgeArtifacts(criteria: PurgeCriteria): Promise<number> {
    return this.#x.operation('purgeArtifacts', async () => {
      checkPurgeCriteria(criteria, BACKEND);
      return this.#purge.purge(criteria);
    });
  }

  // The rewrap job's primitives (see ArtifactMoves).

  scanArtifacts(request: ScanRequest): Promise<ScanPage<StoredArtifact>> {
    return this.#x.operation('scanArtifacts', async () => {
      checkScanRequest(request, BACKEND, isPageState);
      return this.#moves.scan(request, this.#x.levels('artifacts'));
    });
  }

  insertArtifact(row: StoredArtifact): Promise<boolean> {
    return this.#x.operation('insertArtifact', async () => {
      checkArtifactRow(row, BACKEND);
      return this.#moves.insert(row, this.#x.levels('artifacts'));
    });
  }

  replaceArtifact(expected: StoredArtifact, next: StoredArtifact): Promise<boolean> {
    return this.#x.operation('replaceArtifact', async () => {
      checkArtifactReplacement(expected, next, BACKEND);
      return this.#moves.replace(expected, next, this.#x.levels('artifacts'));
    });
  }

  deleteArtifactIf(expected: StoredArtifact): Promise<boolean> {
    return this.#x.operation('deleteArtifactIf', async () => {
      checkArtifactRow(expected, BACKEND);
      return this.#moves.deleteIf(expected, this.#x.levels('artifacts'));
    });
  }
}

function checkRef(model: string, field: string, key: string): void {
  checkArtifactModel(model, BACKEND);
  checkLookupKey(field, key, BACKEND);
}
