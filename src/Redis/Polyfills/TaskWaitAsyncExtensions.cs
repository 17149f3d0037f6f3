#if NETSTANDARD2_0
namespace System.Threading.Tasks;

/// <summary>
/// <c>Task.WaitAsync(TimeSpan, CancellationToken)</c> of .NET 6 for netstandard2.0. On .NET the instance methods
/// win overload resolution, so this class is not compiled there and call sites stay the same.
/// </summary>
internal static class TaskWaitAsyncExtensions
{
    /// <summary>
    /// A task that completes like <paramref name="task"/>, or fails with a <see cref="TimeoutException"/> once
    /// <paramref name="timeout"/> has passed, or is cancelled when <paramref name="cancellationToken"/> is.
    /// <paramref name="task"/> itself keeps running either way.
    /// </summary>
    public static Task WaitAsync(this Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (task.IsCompleted || (!cancellationToken.CanBeCanceled && timeout == Timeout.InfiniteTimeSpan))
        {
            return task;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        if (timeout == TimeSpan.Zero)
        {
            return Task.FromException(new TimeoutException());
        }

        return WaitCoreAsync(task, timeout, cancellationToken);
    }

    /// <inheritdoc cref="WaitAsync(Task, TimeSpan, CancellationToken)"/>
    public static async Task<TResult> WaitAsync<TResult>(this Task<TResult> task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await ((Task)task).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);

        // Completed by now: this hands over its result, or rethrows its exception or cancellation.
        return await task.ConfigureAwait(false);
    }

    private static async Task WaitCoreAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using (var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var delay = Task.Delay(timeout, delayCancellation.Token);
            if (await Task.WhenAny(task, delay).ConfigureAwait(false) == task)
            {
                // Stop the timer rather than let it run out.
                delayCancellation.Cancel();
                await task.ConfigureAwait(false);
                return;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new TimeoutException();
    }
}
#endif
