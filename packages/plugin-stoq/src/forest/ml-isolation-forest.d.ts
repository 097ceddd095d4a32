// Types for ml-isolation-forest 0.1.0, which ships none (its API as read from its source).
declare module 'ml-isolation-forest' {
  /** A node of one isolation tree: inner nodes split, leaves keep the rows that reached them. */
  export interface IsolationTreeNode {
    left?: IsolationTreeNode;
    right?: IsolationTreeNode;
    splitColumn?: number;
    splitValue?: number;
    trainingSet?: number[][];
  }

  /** The library's forest: every tree is built over all rows given to `train`. */
  export class IsolationForest {
    constructor(options?: { nEstimators?: number });
    nEstimators: number;
    forest: IsolationTreeNode[];
    trainingSet: number[][];
    train(trainingSet: number[][]): void;
    predict(data: number[][]): number[];
  }
}
