/** Saving exports through the host (a webview cannot write files or open a save dialog itself). */
import type { HostMessage } from '../protocol';
import { request } from '../lib/host';
import { toast } from '../lib/toast';

export async function saveFile(fileName: string, format: 'png' | 'csv', content: string): Promise<boolean> {
  const reply = await request<Extract<HostMessage, { type: 'result' }>>({ type: 'saveFile', fileName, format, content });
  if (!reply.ok && reply.error) toast(reply.error, 'error');
  return reply.ok;
}
