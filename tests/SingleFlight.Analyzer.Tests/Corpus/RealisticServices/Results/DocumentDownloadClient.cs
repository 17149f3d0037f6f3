using System.Net.Http.Json;
using System.Text.Json;
using SingleFlight;

namespace Contoso.Shop.Results;

public sealed record DocumentInfo(string Id, string Title, long Length);

/// <summary>
/// An HttpClient wrapper around a document store, written the way such wrappers are: some methods hand the response (or
/// its stream) to the caller, which is what a flight must not do; the others read the body inside the core.
/// </summary>
public sealed partial class DocumentDownloadClient(IHttpClientFactory httpClientFactory)
{
    // The first caller to dispose the response (or read its content) does it under every caller that joined.
    // expect: SF0014
    [SingleFlight]
    public partial Task<HttpResponseMessage> GetDocumentResponseAsync(string id, CancellationToken cancellationToken = default);

    private async Task<HttpResponseMessage> GetDocumentResponseCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        return await client.GetAsync($"documents/{Uri.EscapeDataString(id)}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    // One stream, one read position: the callers would read interleaved pieces of it, and the first to dispose it wins.
    // expect: SF0014
    [SingleFlight]
    public partial Task<Stream> OpenDocumentAsync(string id, CancellationToken cancellationToken = default);

    private async Task<Stream> OpenDocumentCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        return await client.GetStreamAsync($"documents/{Uri.EscapeDataString(id)}/content", cancellationToken);
    }

    // The content object of a response: read once, disposed with the response.
    // expect: SF0014
    [SingleFlight]
    public partial Task<HttpContent> GetContentAsync(string id, CancellationToken cancellationToken = default);

    private async Task<HttpContent> GetContentCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        var response = await client.GetAsync($"documents/{Uri.EscapeDataString(id)}", cancellationToken);
        return response.Content;
    }

    // JsonDocument rents pooled memory and must be disposed: the first caller's using returns it under the others.
    // expect: SF0014
    [SingleFlight]
    public partial Task<JsonDocument> GetMetadataAsync(string id, CancellationToken cancellationToken = default);

    private async Task<JsonDocument> GetMetadataCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        await using var stream = await client.GetStreamAsync($"documents/{Uri.EscapeDataString(id)}/metadata", cancellationToken);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
    }

    // The bytes are read in the core; the array itself is still writable by every caller.
    // expect: SF0014
    [SingleFlight]
    public partial Task<byte[]> DownloadAsync(string id, CancellationToken cancellationToken = default);

    private async Task<byte[]> DownloadCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        return await client.GetByteArrayAsync($"documents/{Uri.EscapeDataString(id)}/content", cancellationToken);
    }

    // Read in the core and shared read-only: nothing to tell.
    // expect: none
    [SingleFlight]
    public partial Task<ReadOnlyMemory<byte>> DownloadThumbnailAsync(string id, CancellationToken cancellationToken = default);

    private async Task<ReadOnlyMemory<byte>> DownloadThumbnailCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        return await client.GetByteArrayAsync($"documents/{Uri.EscapeDataString(id)}/thumbnail", cancellationToken);
    }

    // expect: none
    [SingleFlight]
    public partial Task<string> GetTextAsync(string id, CancellationToken cancellationToken = default);

    private async Task<string> GetTextCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        return await client.GetStringAsync($"documents/{Uri.EscapeDataString(id)}/text", cancellationToken);
    }

    // expect: none
    [SingleFlight]
    public partial Task<DocumentInfo?> GetInfoAsync(string id, CancellationToken cancellationToken = default);

    private async Task<DocumentInfo?> GetInfoCoreAsync(string id, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("documents");
        return await client.GetFromJsonAsync<DocumentInfo>($"documents/{Uri.EscapeDataString(id)}/info", cancellationToken);
    }
}
