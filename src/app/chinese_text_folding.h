// Plugs terminology/'s Chinese folding (traditional -> simplified, full-width -> ASCII, pinyin
// keys) into the FHIR search index, which sits below terminology/ and only knows an interface.
#pragma once

namespace rhip::app {

// Installs the folding process-wide. Call once at start-up, before any store is opened.
void InstallChineseTextFolding();

}  // namespace rhip::app
