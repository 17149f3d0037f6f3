#if NETSTANDARD2_0
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}
#endif
