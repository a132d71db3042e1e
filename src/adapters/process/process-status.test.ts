import { describe, expect, it } from 'vitest';
import { processStatus, type ProcessSnapshot } from './process-status.js';

const base: ProcessSnapshot = { name: 'app', state: 'running', mainPid: 42, restarts: 2, activeSince: 1_764_662_400_123 };

describe('processStatus', () => {
  it('says running in systemd’s words, with the pid and the start to the second', () => {
    expect(processStatus(base)).toEqual({
      name: 'app',
      state: 'running',
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      unitFileState: '',
      mainPid: 42,
      result: 'success',
      execMainStatus: 0,
      execMainCode: '',
      restarts: 2,
      serviceType: 'simple',
      activeSince: 1_764_662_400_000,
    });
  });

  it('names how a run ended: an exit code, a signal, a core dump, or a stop by the adapter', () => {
    const ended = (end: ProcessSnapshot['end'], state: ProcessSnapshot['state'] = 'failed') => processStatus({ ...base, state, end });
    expect(ended({ code: 3, signalNumber: null, byAdapter: false })).toMatchObject({
      activeState: 'failed',
      subState: 'failed',
      result: 'exit-code',
      execMainStatus: 3,
      execMainCode: 'exited',
      mainPid: 0,
    });
    expect(ended({ code: null, signalNumber: 9, byAdapter: false })).toMatchObject({ result: 'signal', execMainStatus: 9, execMainCode: 'killed' });
    expect(ended({ code: null, signalNumber: 11, byAdapter: false })).toMatchObject({ result: 'core-dump', execMainStatus: 11, execMainCode: 'dumped' });
    expect(ended({ code: null, signalNumber: 15, byAdapter: true }, 'stopped')).toMatchObject({
      activeState: 'inactive',
      subState: 'dead',
      result: 'success',
      execMainCode: 'killed',
    });
    expect(ended({ code: 0, signalNumber: null, byAdapter: false }, 'stopped')).toMatchObject({ result: 'success', execMainCode: 'exited' });
  });

  it('says what it cannot know, and what could not be started', () => {
    expect(processStatus({ ...base, state: 'failed', unknownEnd: true })).toMatchObject({ result: 'unknown', execMainCode: '' });
    expect(processStatus({ ...base, state: 'failed', spawnFailed: true })).toMatchObject({ result: 'resources' });
    expect(processStatus({ ...base, state: 'missing' })).toMatchObject({ loadState: 'not-found', activeState: 'inactive', mainPid: 0 });
    expect(processStatus({ ...base, state: 'starting' })).toMatchObject({ activeState: 'activating', subState: 'start', mainPid: 42 });
  });
});
