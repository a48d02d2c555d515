/** MLflow's error codes that the store raises; the server maps each to its HTTP status. */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'INTERNAL_ERROR';

/** An error the client should see as `{error_code, message}`: raised for anything the caller got wrong. */
export class MlflowError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MlflowError';
  }
}

export const invalidParameter = (message: string): MlflowError => new MlflowError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string): MlflowError => new MlflowError('RESOURCE_ALREADY_EXISTS', message);
