#include "app/distributed_roles.h"
namespace urna::app {
int RunInit(const InitOptions&) { return 1; }
int RunIngestServer(const IngestOptions&, const Secrets&) { return 1; }
int RunProcessor(const ProcessOptions&) { return 1; }
}
