/** A libtorch exception raised inside a native op, with the op name and argument shapes. */
export class TorchError extends Error {
  /** Name of the bound op that failed, for example "matmul". */
  readonly op: string;
  /** libtorch's own message, without its C++ backtrace. */
  readonly detail: string;
  /** Shape and dtype of each tensor argument, for example "[2, 3] float32". */
  readonly shapes: readonly string[];

  constructor(op: string, detail: string, shapes: readonly string[] = []) {
    const args = shapes.length > 0 ? ` (arguments: ${shapes.join(', ')})` : '';
    super(`${op}: ${detail}${args}`);
    this.name = 'TorchError';
    this.op = op;
    this.detail = detail;
    this.shapes = shapes;
  }
}

/** Use of a tensor after dispose(), or after the tidy() scope that owned it ended. */
export class DisposedTensorError extends Error {
  readonly op: string;

  constructor(op: string, argument: string) {
    super(
      `${op}: argument '${argument}' is a disposed tensor; keep tensors that are still ` +
        'needed out of dispose() and tidy(), or return them from the tidy() callback',
    );
    this.name = 'DisposedTensorError';
    this.op = op;
  }
}

/** The native addon is missing, was built for another libtorch, or cannot load libtorch. */
export class AddonLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddonLoadError';
  }
}
