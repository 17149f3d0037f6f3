#if NETSTANDARD2_0
namespace System.Threading.Tasks;

/// <summary>
/// The part of .NET 5's non-generic <c>TaskCompletionSource</c> this assembly uses, over a
/// <see cref="TaskCompletionSource{TResult}"/> of <see cref="bool"/> whose result nobody reads.
/// </summary>
internal sealed class TaskCompletionSource
{
    private readonly TaskCompletionSource<bool> _inner;

    public TaskCompletionSource(TaskCreationOptions creationOptions) => _inner = new TaskCompletionSource<bool>(creationOptions);

    public Task Task => _inner.Task;

    public bool TrySetResult() => _inner.TrySetResult(true);

    public bool TrySetCanceled() => _inner.TrySetCanceled();
}
#endif
