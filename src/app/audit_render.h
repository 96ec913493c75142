// Renders recount reports and progress: JSON for the API and `urna audit`, and a printable
// HTML page for people. Pure functions; any thread.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "app/recount_jobs.h"
#include "audit/recount.h"

namespace urna::app {

boost::json::object ReportJson(const RecountReport& r);
boost::json::object JobJson(const std::string& election, const RecountJobs::View& v);
std::string ReportHtml(const RecountReport& r);

}  // namespace urna::app
