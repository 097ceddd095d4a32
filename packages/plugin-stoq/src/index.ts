/**
 * `@hypermesh/plugin-stoq` — STOQ: streaming statistics, anomaly detection, threat classification
 * and response for HyperMesh. The plugin provides the `analytics` service; the building blocks
 * (sketches, change points, seasonal and AR models, flow models, isolation forests, the name
 * classifier) are exported for use on their own.
 *
 * @packageDocumentation
 */
export { stoqPlugin, stoqPlugin as default, stoqRef, STOQ_VERSION, type StoqService, type LinkModel } from './plugin.js';
export { stoqConfigSchema, defaultStoqConfig, type StoqConfig } from './config.js';
export { StoqError, StoqErrorCode, STOQ_PLUGIN_NAME } from './errors.js';

export { classifyName, createNameClassifier, type NameClassifier, type NameVerdict } from './names/classify-name.js';
export { parseDnsName, MAX_LABEL_LENGTH, MAX_WIRE_LENGTH, type InvalidName, type ParsedName } from './names/dns-name.js';
export { DEFAULT_NAME_TRAINING, trainNameModel, type LabelledName, type NameTrainingOptions, type OutOfFoldScore } from './names/train-name-model.js';
export type { NameModelJson } from './names/name-model.js';
export type { CharModelJson } from './names/char-model.js';
export type { TunnelRule } from './names/payload.js';
export { NAME_FEATURES, type NameFeature } from './names/name-features.js';
export { shannonEntropy } from './names/entropy.js';
export type { BoostedTreesJson, BoostingOptions } from './ml/boosted-trees.js';

export { CountMinSketch } from './sketch/count-min.js';
export { SpaceSaving, type HeavyHitter } from './sketch/space-saving.js';
export { HyperLogLog } from './sketch/hyperloglog.js';
export { Ewma, RateMeter, RunningStats } from './stats/ewma.js';
export { SlidingWindow } from './stats/sliding-window.js';

export { Cusum, PageHinkley, type ChangePointOptions, type ChangePointState } from './timeseries/change-point.js';
export { HoltWinters, type HoltWintersOptions, type SeasonalStep } from './timeseries/holt-winters.js';
export { fitAutoregressive, forecastAutoregressive, type ArModel } from './timeseries/autoregressive.js';

export { FlowStatsTracker, PACKET_SIZE_BINS, type FlowStatistics } from './flows/flow-stats.js';
export { flowKey, type BandwidthPrediction, type FlowModel } from './flows/flow-table.js';
export { CongestionDetector, type CongestionAssessment, type LinkSample } from './flows/congestion.js';
export { recommendQos, type QosInputs, type QosRecommendation } from './flows/qos.js';

export { FlatForest, trainIsolationForest, averagePathLength, type FlatForestData, type IsolationForestOptions } from './forest/isolation-forest.js';
export type { WebhookAlert } from './actions/webhook.js';
