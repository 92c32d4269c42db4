// OHIF viewer configuration.
// Rendered by radflare from radflare.toml; edits here are overwritten.
window.config = {
  "name": "radflare",
  "routerBasename": "/ohif",
  "extensions": [],
  "modes": [],
  "customizationService": {},
  "showStudyList": true,
  "maxNumberOfWebWorkers": 6,
  "showWarningMessageForCrossOrigin": true,
  "showCPUFallbackMessage": true,
  "showLoadingIndicator": true,
  "experimentalStudyBrowserSort": false,
  "strictZSpacingForVolumeViewport": true,
  "groupEnabledModesFirst": true,
  "allowMultiSelectExport": false,
  "maxNumRequests": {
    "interaction": 100,
    "thumbnail": 5,
    "prefetch": 25
  },
  "showErrorDetails": "always",
  "investigationalUseDialog": {
    "option": "never"
  },
  "defaultDataSourceName": "dicomweb",
  "dataSources": [
    {
      "namespace": "@ohif/extension-default.dataSourcesModule.dicomweb",
      "sourceName": "dicomweb",
      "configuration": {
        "friendlyName": "Teleradiology East",
        "name": "orthanc",
        "wadoUriRoot": "/wado",
        "qidoRoot": "/dicom-web",
        "wadoRoot": "/dicom-web",
        "qidoSupportsIncludeField": false,
        "supportsReject": false,
        "imageRendering": "wadors",
        "thumbnailRendering": "wadors",
        "enableStudyLazyLoad": true,
        "supportsFuzzyMatching": false,
        "supportsWildcard": true,
        "staticWado": false,
        "omitQuotationForMultipartRequest": true,
        "bulkDataURI": {
          "enabled": true,
          "relativeResolution": "studies"
        }
      }
    }
  ]
};
