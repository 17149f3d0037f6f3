#if NETSTANDARD2_0
using System.Threading.Tasks;

namespace SingleFlight.Redis.Polyfills;

/// <summary>
/// The part of .NET 5's non-generic <c>TaskCompletionSource</c> this assembly uses, over a
/// <see cref="TaskCompletionSource{TResult}"/> of <see cref="bool"/> whose result nobody reads.
/// </summary>
/// <remarks>
/// In a namespace of its own, imported only where it is used: the assemblies this one shows its internals to (the
/// tests, built for .NET) must keep seeing the framework's type. In <c>System.Threading.Tasks</c> this one would clash
/// with it there, and in <c>SingleFlight.Redis</c> it would hide it from their <c>SingleFlight.Redis.*</c> namespaces.
/// </remarks>
internal sealed class TaskCompletionSource
{
    private readonly TaskCompletionSource<bool> _inner;

    public TaskCompletionSource(TaskCreationOptions creationOptions) => _inner = new TaskCompletionSource<bool>(creationOptions);

    public Task Task => _inner.Task;

    public bool TrySetResult() => _inner.TrySetResult(true);

    public bool TrySetCanceled() => _inner.TrySetCanceled();
}
#endif
