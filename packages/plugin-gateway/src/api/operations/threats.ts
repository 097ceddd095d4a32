import { analyticsRef } from '@hypermesh/runtime';
import { defineOperation, requestSchema } from '../operation.js';
import { limitQuery } from '../schemas/names.js';

/** `GET /v1/threats`. */
export const listThreats = defineOperation({
  id: 'threats.list',
  method: 'GET',
  path: '/v1/threats',
  grpcMethod: 'ListThreats',
  role: 'viewer',
  mutating: false,
  summary: 'Recent detections, newest first, with reasons and the action taken',
  input: requestSchema({ query: { limit: limitQuery } }),
  run: ({ query }, ctx) => ({ threats: ctx.service(analyticsRef).recentThreats(query.limit) }),
});

/** `GET /v1/threats/scores`. */
export const anomalyScores = defineOperation({
  id: 'threats.scores',
  method: 'GET',
  path: '/v1/threats/scores',
  grpcMethod: 'GetAnomalyScores',
  role: 'viewer',
  mutating: false,
  summary: 'Anomaly scores of clients and domains, highest first',
  input: requestSchema({ query: { limit: limitQuery } }),
  run: ({ query }, ctx) => ctx.service(analyticsRef).scores(query.limit),
});

/** `GET /v1/threats/top-talkers`. */
export const topTalkers = defineOperation({
  id: 'threats.top-talkers',
  method: 'GET',
  path: '/v1/threats/top-talkers',
  grpcMethod: 'GetTopTalkers',
  role: 'viewer',
  mutating: false,
  summary: 'Clients with the most queries in the current window',
  input: requestSchema({ query: { limit: limitQuery } }),
  run: ({ query }, ctx) => ({ topTalkers: ctx.service(analyticsRef).topTalkers(query.limit) }),
});

/** `GET /v1/analytics/model`. */
export const modelStatus = defineOperation({
  id: 'analytics.model',
  method: 'GET',
  path: '/v1/analytics/model',
  grpcMethod: 'GetModelStatus',
  role: 'viewer',
  mutating: false,
  summary: 'The classifier model and the anomaly model’s training state',
  input: requestSchema({}),
  run: (_input, ctx) => ctx.service(analyticsRef).modelStatus(),
});
