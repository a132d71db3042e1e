import type { ServiceProfile } from './profile.js';

/** Elasticsearch (Elastic's apt repository, not Debian main): refuses to start on bootstrap-check failures and node-lock conflicts. */
export const elasticsearch: ServiceProfile = {
  name: 'elasticsearch',
  description: 'Elasticsearch search engine',
  units: ['elasticsearch.service'],
  runtimeFiles: ['/run/elasticsearch/elasticsearch.pid'],
  runtimeDirs: ['/run/elasticsearch'],
  configPaths: ['/etc/elasticsearch', '/etc/default/elasticsearch'],
  port: 9200,
  reloadable: false,
  logSignatures: [
    { pattern: 'BindTransportException|BindHttpException|Failed to bind to', symptom: 'address_in_use', hint: 'Another node holds 9200 or 9300.' },
    { pattern: 'failed to obtain node locks', symptom: 'stale_lock', hint: 'Another elasticsearch process uses the same data path.' },
    { pattern: 'flood stage disk watermark \\[.*\\] exceeded', symptom: 'no_space', hint: 'Indices were made read-only; free disk, they unlock automatically in recent versions.' },
    { pattern: 'OutOfMemoryError', symptom: 'out_of_memory', hint: 'The JVM heap is too small for the load; adjust jvm.options.d heap size.' },
    { pattern: 'max virtual memory areas vm\\.max_map_count \\[\\d+\\] is too low', symptom: 'kernel_limit', hint: 'Set vm.max_map_count=262144 with sysctl.' },
  ],
};
