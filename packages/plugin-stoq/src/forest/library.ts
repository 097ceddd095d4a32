/**
 * ml-isolation-forest 0.1.0 ships no type declarations; this is its API as read from its source,
 * in one place, so the rest of the package is typed.
 */
// @ts-expect-error -- the package has no declaration file
import { IsolationForest as UntypedIsolationForest } from 'ml-isolation-forest';

/** A node of one isolation tree: inner nodes split, leaves keep the rows that reached them. */
export interface IsolationTreeNode {
  left?: IsolationTreeNode;
  right?: IsolationTreeNode;
  splitColumn?: number;
  splitValue?: number;
  trainingSet?: number[][];
}

/** The library's forest: every tree is built over all rows given to `train`. */
export interface LibraryIsolationForest {
  nEstimators: number;
  forest: IsolationTreeNode[];
  trainingSet: number[][];
  train(trainingSet: number[][]): void;
  predict(data: number[][]): number[];
}

/** The library's constructor. */
export const IsolationForest = UntypedIsolationForest as new (options?: { nEstimators?: number }) => LibraryIsolationForest;
