/**
 * What a construct does to the account setting when its resource is deleted (removed from the app, the stack
 * deleted, or replaced).
 */
export enum OnDelete {
  /** Put back what the resource found before it first applied its state. */
  RESTORE = 'RESTORE',
  /** Leave the setting as it is; only the resource's own bookkeeping is removed. */
  RETAIN = 'RETAIN',
}
