namespace InSitu.Web.Tests;

/// <summary>Every web test shares one set of tiny data and one browser, and runs one at a time.</summary>
[CollectionDefinition("web")]
public sealed class WebTestGroup : ICollectionFixture<WebTestData>, ICollectionFixture<BrowserFixture>;
