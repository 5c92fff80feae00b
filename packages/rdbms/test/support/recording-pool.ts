import type { MysqlPool, PostgresPool } from '../../src/index.js';

/** Transaction control the drivers send themselves; not statements of the store. */
const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK|START TRANSACTION|SET TRANSACTION)\b/i;

/**
 * Wraps a real pool so every statement text sent through it (on the pool or on a borrowed
 * connection) is recorded, transaction control excepted.
 */
export function recordingPostgresPool(pool: PostgresPool, sent: Set<string>): PostgresPool {
  const record = (text: string) => {
    if (!TRANSACTION_CONTROL.test(text)) sent.add(text);
  };
  return {
    query: (text, values) => {
      record(text);
      return pool.query(text, values);
    },
    connect: async () => {
      const client = await pool.connect();
      return {
        query: (text, values) => {
          record(text);
          return client.query(text, values);
        },
        release: (destroy) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

export function recordingMysqlPool(pool: MysqlPool, sent: Set<string>): MysqlPool {
  const record = (text: string) => {
    if (!TRANSACTION_CONTROL.test(text)) sent.add(text);
  };
  return {
    query: (text, values) => {
      record(text);
      return pool.query(text, values);
    },
    getConnection: async () => {
      const connection = await pool.getConnection();
      return {
        query: (text, values) => {
          record(text);
          return connection.query(text, values);
        },
        release: () => connection.release(),
        destroy: () => connection.destroy(),
      };
    },
    end: () => pool.end(),
  };
}
