import { describe, expect, it } from 'vitest';
import { parseShowOutput } from './show-parser.js';

describe('parseShowOutput', () => {
  it('reads one block per unit, in order, with numbers and codes decoded', () => {
    const text = [
      'Type=simple\nMainPID=0\nResult=signal\nNRestarts=2\nExecMainCode=2\nExecMainStatus=9\nId=app.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nUnitFileState=static\nActiveEnterTimestamp=@1795539512',
      'Type=\nMainPID=0\nResult=success\nNRestarts=0\nExecMainCode=0\nExecMainStatus=0\nId=nosuch.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nActiveEnterTimestamp=n/a',
    ].join('\n\n');
    const [app, missing] = parseShowOutput(text);
    expect(app).toMatchObject({ name: 'app.service', activeState: 'failed', result: 'signal', execMainCode: 'killed', execMainStatus: 9, restarts: 2, activeSince: 1795539512000 });
    expect(missing).toMatchObject({ loadState: 'not-found', activeSince: null, execMainCode: '' });
  });
});
